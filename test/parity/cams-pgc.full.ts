/**
 * pytorch-grad-cam's own numbers at three depths of a full-size resnet18 (pgc-suite.ts), run by
 * `pnpm test:full`; the model comes from tools/export_models.py --full (the suite says the command).
 */
import { pgcSuite } from './pgc-suite.ts';

pgcSuite('resnet18-full');
