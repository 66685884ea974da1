// The files the engine tests share: the bundle under test and the shipped demo.
import * as path from 'node:path';
import { repo } from '../helpers/tmp';

export const enginePath = path.join(repo, 'dist', 'engine.js');
export const demoModel = path.join(repo, 'media', 'demo', 'mobilenetv2-12-int8.onnx');
export const pelican = path.join(repo, 'media', 'demo', 'pelican.jpeg');
