/** pytorch-grad-cam's own numbers at every layer of the reduced resnet18 (pgc-suite.ts). */
import { pgcSuite } from './pgc-suite.ts';

pgcSuite('resnet18');
