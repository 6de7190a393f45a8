import { buildViewer } from './helpers/harness.ts';

export default function setup(): void {
  buildViewer();
}
