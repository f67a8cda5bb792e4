"""marl-hpo's PyTorch trainer backend (`"trainer": {"backend": "torch"}`): builds every node kind
of the architecture IR in PyTorch, trains it with the recipe of marl-hpo's embedded trainer and
exports ONNX (opset 17). It implements the job-folder protocol of docs/TRAINERS.md, one job per
call (`python3 -m marl_hpo_torch <job-folder>`) or many per process (`--serve`). Needs torch and numpy.
"""
__version__ = "0.1.0"
