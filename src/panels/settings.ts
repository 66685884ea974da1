// The extension's settings (contributes.configuration in package.json) turned into the core's ExplainOptions.
// Paths in settings may be absolute, relative to the workspace folder, or use ${workspaceFolder}.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExplainOptions } from '../explain';
import type { BoxMode } from '../heatmap/box';
import { readLabels } from '../labels';
import { presets } from '../preprocess/presets';
import type { ConvMode, FlattenMode } from '../unravel/types';

export const SECTION = 'cnnFixations';

const convModes: readonly ConvMode[] = ['contribution', 'center', 'activation'];
const flattenModes: readonly FlattenMode[] = ['argmax', 'positive'];
const boxModes: readonly BoxMode[] = ['points', 'threshold'];

/** A setting whose value cannot be used: the message names the setting and what to put there. */
export class SettingError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(message);
  }
}

function folderFor(scope: vscode.Uri | undefined): vscode.WorkspaceFolder | undefined {
  return (scope && vscode.workspace.getWorkspaceFolder(scope)) ?? vscode.workspace.workspaceFolders?.[0];
}

/** A path from a setting, made absolute against the workspace folder of `scope` (or the first folder). */
export function resolveSettingPath(value: string, scope?: vscode.Uri): string {
  const folder = folderFor(scope)?.uri.fsPath;
  const expanded = value.trim().replace(/\$\{workspaceFolder\}/g, folder ?? '');
  if (path.isAbsolute(expanded) || !folder) return path.resolve(expanded);
  return path.resolve(folder, expanded);
}

/** The `cnnFixations.model` setting as an absolute path, or undefined when it is empty. */
export function modelSetting(scope?: vscode.Uri): string | undefined {
  const v = vscode.workspace.getConfiguration(SECTION, scope).get<string>('model', '');
  return v.trim() ? resolveSettingPath(v, scope) : undefined;
}

function pick<T extends string>(cfg: vscode.WorkspaceConfiguration, key: string, allowed: readonly T[]): T | undefined {
  const v = cfg.get<string>(key);
  if (v === undefined || v === '') return undefined;
  if (!allowed.includes(v as T)) throw new SettingError(`${SECTION}.${key}`, `the setting ${SECTION}.${key} is '${v}'; use one of ${allowed.join(', ')}`);
  return v as T;
}

/** Options for the core from the settings that apply to `scope` (the image). Reads the labels file if one is set. */
export function explainOptions(scope?: vscode.Uri): ExplainOptions {
  const cfg = vscode.workspace.getConfiguration(SECTION, scope);
  const preset = cfg.get<string>('preset', 'auto');
  if (preset !== 'auto' && preset !== '' && !presets[preset]) {
    throw new SettingError(`${SECTION}.preset`, `the setting ${SECTION}.preset is '${preset}'; use auto or one of ${Object.keys(presets).join(', ')}`);
  }
  const sigma = cfg.get<number>('sigma', 0);
  if (typeof sigma !== 'number' || !Number.isFinite(sigma) || sigma < 0) {
    throw new SettingError(`${SECTION}.sigma`, `the setting ${SECTION}.sigma must be a number ≥ 0 (0 = automatic), not '${String(sigma)}'`);
  }
  const top = cfg.get<number>('topK', 5);
  if (!Number.isInteger(top) || top < 1) throw new SettingError(`${SECTION}.topK`, `the setting ${SECTION}.topK must be a whole number ≥ 1, not '${String(top)}'`);
  const labelsFile = cfg.get<string>('labelsFile', '').trim();
  let labels: string[] | undefined;
  if (labelsFile) {
    try {
      labels = readLabels(resolveSettingPath(labelsFile, scope));
    } catch (e) {
      throw new SettingError(`${SECTION}.labelsFile`, `${(e as Error).message} (from the setting ${SECTION}.labelsFile)`);
    }
  }
  return {
    preset: preset === 'auto' || preset === '' ? undefined : preset,
    labels,
    top,
    convMode: pick(cfg, 'convMode', convModes),
    flattenMode: pick(cfg, 'flattenMode', flattenModes),
    boxMode: pick(cfg, 'boxMode', boxModes),
    sigma: sigma > 0 ? sigma : undefined,
  };
}
