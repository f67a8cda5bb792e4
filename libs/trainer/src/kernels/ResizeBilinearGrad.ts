/**
 * ResizeBilinearGrad: tfjs's own kernels (cpu and wasm) ignore halfPixelCenters, so the gradient of
 * our bilinear upsampling (half-pixel centres) would be wrong. This is the exact adjoint of the forward kernel.
 */
import { ResizeBilinearGrad, type KernelConfig, type ResizeBilinearGradAttrs, type ResizeBilinearGradInputs, type TensorInfo } from '@tensorflow/tfjs';
import { bilinearGrad } from './resize';
import { forBackends, type Heap } from './heap';

function kernel(heap: Heap, inputs: ResizeBilinearGradInputs, attrs: ResizeBilinearGradAttrs): TensorInfo {
  const images = inputs.images as TensorInfo;
  const dy = inputs.dy as TensorInfo;
  const dx = heap.alloc(images.shape);
  bilinearGrad(heap.read(dy), heap.write(dx), images.shape, dy.shape.slice(1, 3), attrs.alignCorners, attrs.halfPixelCenters);
  return heap.done(dx);
}

export const resizeBilinearGradConfigs: KernelConfig[] = forBackends(ResizeBilinearGrad, kernel);
