/**
 * Architecture IR: a small serialisable graph that every other lib reads.
 *
 * Tensors are NHWC without the batch dimension: a shape is [H, W, C] for feature maps
 * and [N] for vectors. Each node reads the output of the node before it, except
 * `concat` (reads the named nodes) and `skip` (concatenates the previous output with
 * a named earlier node, the U-Net skip connection). Node names are unique.
 */

export type Activation = 'relu' | 'linear' | 'sigmoid' | 'tanh';
export type Padding = 'same' | 'valid';
export type Task = 'classification' | 'segmentation';
export type Shape = number[];

interface Named {
  /** Unique within the IR; also the ONNX and tfjs layer name prefix. */
  name: string;
}

/** Conv -> (BatchNorm) -> activation. The conv has a bias only when batchNorm is false. */
export interface Conv2dNode extends Named {
  kind: 'conv2d';
  filters: number;
  kernel: number;
  stride: number;
  padding: Padding;
  activation: Activation;
  batchNorm: boolean;
}

/** Depthwise conv (one filter per input channel times depthMultiplier) -> (BN) -> activation. */
export interface DepthwiseConv2dNode extends Named {
  kind: 'depthwiseConv2d';
  kernel: number;
  stride: number;
  padding: Padding;
  depthMultiplier: number;
  activation: Activation;
  batchNorm: boolean;
}

export interface PoolNode extends Named {
  kind: 'maxPool' | 'avgPool';
  size: number;
  stride: number;
  padding: Padding;
}

/**
 * GoogLeNet inception module: four branches concatenated on channels
 * [1x1 | 1x1 reduce -> 3x3 | 1x1 reduce -> 5x5 | 3x3 max pool stride 1 -> 1x1 proj],
 * every conv 'same' padded and followed by (BN and) ReLU.
 */
export interface InceptionNode extends Named {
  kind: 'inception';
  b1x1: number;
  b3x3reduce: number;
  b3x3: number;
  b5x5reduce: number;
  b5x5: number;
  poolProj: number;
  batchNorm: boolean;
}

/** Channel concatenation of the outputs of the named nodes (same H and W). */
export interface ConcatNode extends Named {
  kind: 'concat';
  inputs: string[];
}

/** Spatial upsampling by an integer factor. */
export interface UpsampleNode extends Named {
  kind: 'upsample';
  scale: number;
  mode: 'nearest' | 'bilinear';
}

/** Transposed conv; with padding 'same' the output is input * stride. Has a bias unless batchNorm. */
export interface ConvTransposeNode extends Named {
  kind: 'convTranspose';
  filters: number;
  kernel: number;
  stride: number;
  padding: Padding;
  activation: Activation;
  batchNorm: boolean;
}

/** U-Net skip: channel concat of [previous output, output of `from`]; H and W must match. */
export interface SkipNode extends Named {
  kind: 'skip';
  from: string;
}

export interface GlobalAvgPoolNode extends Named {
  kind: 'globalAvgPool';
}

/** [H, W, C] -> [H*W*C] in NHWC order. */
export interface FlattenNode extends Named {
  kind: 'flatten';
}

export interface DenseNode extends Named {
  kind: 'dense';
  units: number;
  activation: Activation;
}

/** Active only while training; removed at inference and in ONNX. */
export interface DropoutNode extends Named {
  kind: 'dropout';
  rate: number;
}

export type Node =
  | Conv2dNode
  | DepthwiseConv2dNode
  | PoolNode
  | InceptionNode
  | ConcatNode
  | UpsampleNode
  | ConvTransposeNode
  | SkipNode
  | GlobalAvgPoolNode
  | FlattenNode
  | DenseNode
  | DropoutNode;

export type NodeKind = Node['kind'];

/**
 * The whole network. The last layer produces the logits: [classes] for classification,
 * [H, W, classes] for segmentation. Softmax over the class axis is implied (applied in
 * the loss while training, and as the final op of the exported ONNX model).
 */
export interface ArchitectureIR {
  /** Template that produced it, or 'custom'. */
  template: string;
  task: Task;
  input: Shape;
  classes: number;
  layers: Node[];
}

/** Per-layer facts from shape inference and the cost model. */
export interface LayerInfo {
  name: string;
  kind: NodeKind;
  outputShape: Shape;
  /** Trainable parameters (as PyTorch's `parameters()` counts them). */
  params: number;
  /** Multiply-accumulates for one sample at inference. */
  macs: number;
}

export interface ArchitectureSummary {
  layers: LayerInfo[];
  outputShape: Shape;
  params: number;
  macs: number;
}
