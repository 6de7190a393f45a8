/**
 * Reads a result bundle through cam-methods' bundle module (the schema the CLI writes and its
 * validator): manifest.json, per explanation two little-endian float32 files (every layer's CAM
 * at layer resolution and at input resolution, laid end to end) and the input image. Every
 * offset and length is checked against the shapes and the binaries' sizes before a map is read.
 * A video bundle's input frames (image.frames) are read too: each layer's input-resolution map
 * holds one map per frame.
 */
import { checkFileSizes, parseManifest, readMap, type BundleCam } from '@camanim/cam-methods';
import { CamSet, targetCaption, ybroadView, type CamLayerView } from './CamSet.ts';
import type { BundleSource } from './BundleSource.ts';
import { RgbImage } from './RgbImage.ts';

export interface BundleChoice {
  /** Method id, optionally with the class: "gradcam" or "gradcam@7". */
  readonly method?: string;
}

export class BundleReader {
  constructor(private readonly source: BundleSource) {}

  async read(choice: BundleChoice = {}): Promise<CamSet> {
    const src = this.source;
    const manifest = parseManifest(await src.require('manifest.json', 'manifest'), src.description);
    const cams = manifest.cams;
    const cam = pickCam(cams, choice.method);
    const { width, height, file: imageFile } = manifest.image;
    const [layerBin, inputBin] = await Promise.all([
      src.require(cam.files.layer, 'layer-resolution CAM file'),
      src.require(cam.files.input, 'input-resolution CAM file'),
    ]);
    checkFileSizes(cam, { layer: layerBin.byteLength, input: inputBin.byteLength }, src.description);
    const frameFiles = manifest.image.frames ?? [imageFile];
    const pictures = await Promise.all(
      frameFiles.map(async (file, t) => {
        const decoded = await RgbImage.decode(
          await src.require(file, frameFiles.length > 1 ? `input frame ${t + 1}` : 'input image'),
          file,
        );
        return decoded.width === width && decoded.height === height
          ? decoded
          : decoded.placed({ width, height, x: 0, y: 0 }, width, height, [0, 0, 0]);
      }),
    );
    const layers: CamLayerView[] = cam.layers.map((l) => ({
      index: l.index,
      name: l.name,
      opType: l.opType,
      shape: l.shape,
      mapShape: l.mapShape,
      raw: readMap(layerBin, l.layer),
      upsampled: readMap(inputBin, l.input),
    }));
    const yb = cam.ybroad;
    return new CamSet(
      {
        source: `bundle ${src.description}`,
        model: manifest.model.file,
        method: cam.title || cam.method,
        alternatives: cams.map((c) => ({ id: camId(c, cams), title: `${c.title || c.method} · ${targetCaption(c.target)}` })),
        target: cam.target,
        score: cam.score,
        probability: cam.probability,
        ybroadNote: yb ? undefined : 'No ybROAD in this bundle: run camanim explain with --ybroad to score every layer with ROAD',
        contract: manifest.contract,
      },
      layers,
      pictures[0],
      manifest.prediction,
      yb && ybroadView(yb),
      cam.metrics,
      pictures,
    );
  }
}

/** The id used in ?method=: the method, plus @class when a bundle explains several classes. */
export function camId(
  cam: { method: string; target: { class: number } },
  all: readonly { method: string; target: { class: number } }[],
): string {
  const classes = new Set(all.map((c) => c.target.class));
  return classes.size > 1 ? `${cam.method}@${cam.target.class}` : cam.method;
}

function pickCam(cams: readonly BundleCam[], wanted?: string): BundleCam {
  if (!wanted) return cams[0];
  return cams.find((c) => camId(c, cams) === wanted) ?? cams.find((c) => c.method === wanted.split('@')[0]) ?? cams[0];
}
