/** Where a convolution's output lies on its input: shared by the direct and the Winograd kernels. */
export interface ConvGeometry {
  /** Output [n, oh, ow, co]. */
  outShape: number[];
  strides: [number, number];
  /** Padding before the first row / column. */
  top: number;
  left: number;
}
