export * from './kernel.ts';
export * from './strides.ts';
export * from './elementwise.ts';
export * from './index-map.ts';
export * from './fill.ts';
