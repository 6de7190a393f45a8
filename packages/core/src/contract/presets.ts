/**
 * Named preprocessing presets (`--preset`, the sidecar's `preprocess.preset`,
 * `loadModel(…, { input: { preset } })`). Each fills only what its source states; mean and std
 * are in R, G, B order and in the units after scaling (see InputContract).
 */
import type { InputRequest } from './input-request.ts';

export const PRESETS = {
  /**
   * torchvision's ImageNet weights: torchvision/transforms/_presets.py `ImageClassification`
   * (resize_size 256, crop_size 224, mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225));
   * timm's IMAGENET_DEFAULT_MEAN/STD (timm/data/constants.py) are the same numbers.
   */
  imagenet: {
    order: 'RGB',
    scale: 1,
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
    resize: 'crop',
    cropFraction: 224 / 256,
  },
  /**
   * Inception-style [-1, 1] inputs: timm's IMAGENET_INCEPTION_MEAN/STD = 0.5 (timm/data/constants.py,
   * crop_pct 0.875 for inception_v3), Keras `imagenet_utils.preprocess_input(mode='tf')` (x/127.5 − 1).
   */
  inception: { order: 'RGB', scale: 1, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], resize: 'crop', cropFraction: 0.875 },
  /**
   * PaddleOCR recognisers: ppocr/data/imaug/rec_img_aug.py `resize_norm_img` ((x/255 − 0.5)/0.5,
   * the height resized to the input's, the aspect kept, zeros padded on the right after
   * normalization) on images decoded by `DecodeImage` with its default img_mode 'BGR'
   * (ppocr/data/imaug/operators.py).
   */
  paddle: { order: 'BGR', scale: 1, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], resize: 'pad', align: 'start' },
  /**
   * Caffe-converted models (VGG/ResNet from Caffe, Keras' `preprocess_input(mode='caffe')` in
   * keras/applications/imagenet_utils.py): BGR, 0..255, minus the BGR mean (103.939, 116.779,
   * 123.68), no std (listed here in R, G, B order).
   */
  caffe: { order: 'BGR', scale: 255, mean: [123.68, 116.779, 103.939], std: [1, 1, 1], resize: 'crop', cropFraction: 224 / 256 },
  /**
   * OpenAI CLIP image encoders: clip/clip.py `_transform` (Resize(n_px, bicubic), CenterCrop(n_px),
   * mean (0.48145466, 0.4578275, 0.40821073), std (0.26862954, 0.26130258, 0.27577711)).
   */
  clip: {
    order: 'RGB',
    scale: 1,
    mean: [0.48145466, 0.4578275, 0.40821073],
    std: [0.26862954, 0.26130258, 0.27577711],
    resize: 'crop',
    cropFraction: 1,
  },
  /**
   * The pixels as they are, 0..255, for models that normalize inside the graph (Keras
   * applications with a Rescaling/Normalization layer, such as EfficientNet).
   */
  raw: { order: 'RGB', scale: 255, mean: [0, 0, 0], std: [1, 1, 1] },
} as const satisfies Record<string, InputRequest>;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

export function isPresetName(name: string): name is PresetName {
  return Object.hasOwn(PRESETS, name);
}
