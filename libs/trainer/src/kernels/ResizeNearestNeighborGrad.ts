/**
 * ResizeNearestNeighborGrad: the stock wasm kernel disagrees with tfjs's cpu one; this is the exact
 * adjoint of the forward kernel (each output pixel's gradient goes to its source pixel).
 */
import { ResizeNearestNeighborGrad, type KernelConfig, type ResizeNearestNeighborGradAttrs, type ResizeNearestNeighborGradInputs, type TensorInfo } from '@tensorflow/tfjs';
import { nearestGrad } from './resize';
import { forBackends, type Heap } from './heap';

function kernel(heap: Heap, inputs: ResizeNearestNeighborGradInputs, attrs: ResizeNearestNeighborGradAttrs): TensorInfo {
  const images = inputs.images as TensorInfo;
  const dy = inputs.dy as TensorInfo;
  const dx = heap.alloc(images.shape);
  nearestGrad(heap.read(dy), heap.write(dx), images.shape, dy.shape.slice(1, 3), attrs.alignCorners, attrs.halfPixelCenters);
  return heap.done(dx);
}

export const resizeNearestNeighborGradConfigs: KernelConfig[] = forBackends(ResizeNearestNeighborGrad, kernel);
