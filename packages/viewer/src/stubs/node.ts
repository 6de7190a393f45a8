/**
 * Stands in for the Node built-ins that core imports lazily on its file-path branch
 * (loadModel(path), external data from a folder, the SwiftShader probe). The page always
 * passes bytes and has navigator.gpu, so none of these runs; if one ever did, it says so.
 */
function unavailable(name: string): () => never {
  return () => {
    throw new Error(`${name} is a Node API and is not available in the browser; pass the model as bytes`);
  };
}
export const readFile = unavailable('fs.readFile');
export const stat = unavailable('fs.stat');
export const existsSync = unavailable('fs.existsSync');
export const closeSync = unavailable('fs.closeSync');
export const fstatSync = unavailable('fs.fstatSync');
export const openSync = unavailable('fs.openSync');
export const readSync = unavailable('fs.readSync');
export const realpathSync = unavailable('fs.realpathSync');
export const statSync = unavailable('fs.statSync');
export const dirname = unavailable('path.dirname');
export const resolve = unavailable('path.resolve');
export const join = unavailable('path.join');
export const sep = '/';
export const fileURLToPath = unavailable('url.fileURLToPath');
