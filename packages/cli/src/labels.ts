/**
 * Class names: a --labels file (one per line), else the model's JSON, else the built-in
 * ImageNet names for 1000-class models, else "class N".
 */
import { readFileSync } from 'node:fs';
import { cliError } from './errors.ts';
import { IMAGENET_LABELS } from './imagenet-labels.ts';

export interface Labels {
  /** Display name of class `k`. */
  name(k: number): string;
  readonly source: string;
}

export function loadLabels(numClasses: number, file?: string, fromModel?: readonly string[]): Labels {
  let names: readonly string[] | undefined;
  let source = 'none';
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (cause) {
      throw cliError(
        'Cannot read the labels file',
        { file },
        'Check the --labels path (a text file, one class name per line)',
        'not-found',
        cause,
      );
    }
    names = text.split(/\r?\n/).map((l) => l.trim());
    while (names.length && names[names.length - 1] === '') names = names.slice(0, -1);
    source = file;
    if (names.length !== numClasses) {
      throw cliError(
        `The labels file has ${names.length} lines but the model has ${numClasses} classes`,
        { file },
        'Give one class name per line, in class-index order',
      );
    }
  } else if (fromModel && fromModel.length === numClasses) {
    names = fromModel;
    source = 'model JSON';
  } else if (numClasses === 1000) {
    names = IMAGENET_LABELS.map((n) => n.replace(/_/g, ' '));
    source = 'ImageNet';
  }
  return { name: (k) => (names?.[k] ? names[k] : `class ${k}`), source };
}
