import sys


def main():
    if sys.argv[1:] == ["--serve"]:
        from .serve import serve

        serve()
    else:
        from .job import main as run

        run(sys.argv[1:])


main()
