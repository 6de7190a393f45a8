/** @camanim/viewer: the page's building blocks, for tools and tests that run in a browser. */
export { App } from './App.ts';
export { AtlasLayout, type CamAtlas } from './AtlasLayout.ts';
export { BrowserCompute } from './BrowserCompute.ts';
export { BundleReader, camId } from './BundleReader.ts';
export { BUNDLE_FOLDER, BundleSource, EVAL_FOLDER, folderKindOf, type FolderKind, type NamedFile } from './BundleSource.ts';
export { CamSet, type CamLayerView, type Prediction, type YbRoadView, type Stage } from './CamSet.ts';
export { Colormap, type PaintStyle } from './Colormap.ts';
export { EvalChart, evalCurves, type EvalCurve } from './EvalChart.ts';
export { EvalFolder, type LoadedItem } from './EvalFolder.ts';
export { EvalGallery, type GalleryTile, type GalleryView } from './EvalGallery.ts';
export { EvalView, type EvalHooks, type EvalState } from './EvalView.ts';
export { preprocessInPage } from './Preprocessor.ts';
export { StackLayout } from './StackLayout.ts';
export { UrlState, type ViewState } from './UrlState.ts';
export { ViewerError, type ViewerErrorCode } from './ViewerError.ts';
export type { ViewerApi, ViewerState, FrameStats } from './ViewerStatus.ts';
