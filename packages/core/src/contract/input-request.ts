/** What one source of the input contract states (input-contract.ts resolves them): every field optional. */
export type Layout = 'NCHW' | 'NHWC';
export type ChannelOrder = 'RGB' | 'BGR';
/** 1: pixels / 255 (0..1) before mean/std; 255: pixels as they are (0..255). */
export type PixelScale = 1 | 255;
/** crop: cover the input, centre-crop; pad: fit inside, pad (letterbox); stretch: resize to H×W. */
export type ResizePolicy = 'crop' | 'pad' | 'stretch';
export type PadAlign = 'center' | 'start';

export const RESIZE_POLICIES: readonly ResizePolicy[] = ['crop', 'pad', 'stretch'];

/** What one source states; every field is optional. mean/std in R, G, B order, in scaled units. */
export interface InputRequest {
  readonly preset?: string;
  /** [H, W]. */
  readonly size?: readonly [number, number];
  /** T of a video input [N, C, T, H, W] (frames.ts). */
  readonly frames?: number;
  readonly layout?: Layout;
  readonly order?: ChannelOrder;
  readonly scale?: PixelScale;
  readonly mean?: readonly number[];
  readonly std?: readonly number[];
  readonly resize?: ResizePolicy;
  /** crop: the share of the resized shorter side the crop covers (torchvision: 224/256). */
  readonly cropFraction?: number;
  /** crop, the older way to say it: the shorter side before the centre crop (torchvision's Resize(256)). */
  readonly shorterSide?: number;
  /** pad: where the image sits (PaddleOCR pads on the right: 'start'). */
  readonly align?: PadAlign;
}
