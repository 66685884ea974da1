// The extension's settings (package.json's contributes.configuration, from src/shared/settings.ts) turned
// into the options of a run. Each setting is checked by the declaration's rules; paths in settings may be
// absolute, relative to the workspace folder, or use ${workspaceFolder}.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readLabels } from '../labels';
import { offered, options, readOption, SECTION, type ChoiceKey, type NumberKey, type RunOptions } from '../shared/settings';
import { SettingError } from './errors';

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

/** A path setting's value, trimmed ('' when unset or not a string). */
function pathSetting(cfg: vscode.WorkspaceConfiguration, name: string): string {
  const v = cfg.get<unknown>(name, '');
  return typeof v === 'string' ? v.trim() : '';
}

/** The `cnnFixations.model` setting as an absolute path, or undefined when it is empty. */
export function modelSetting(scope?: vscode.Uri): string | undefined {
  const v = pathSetting(vscode.workspace.getConfiguration(SECTION, scope), options.model.setting);
  return v ? resolveSettingPath(v, scope) : undefined;
}

/** The options of a run from the settings that apply to `scope` (the image). Reads the labels file if one is set. */
export function runOptions(scope?: vscode.Uri): RunOptions {
  const cfg = vscode.workspace.getConfiguration(SECTION, scope);
  const out: Record<string, unknown> = {};
  for (const [key, o] of offered('setting')) {
    const name = `${SECTION}.${o.setting}`;
    if (o.kind !== 'file') {
      const r = readOption(key as ChoiceKey | NumberKey, cfg.get<unknown>(o.setting!), `the setting ${name}`);
      if (!r.ok) throw new SettingError(name, r.problem);
      if (r.value !== undefined) out[key] = r.value;
    } else if (key === 'labels') {
      const file = pathSetting(cfg, o.setting!);
      try {
        if (file) out.labels = readLabels(resolveSettingPath(file, scope));
      } catch (e) {
        throw new SettingError(name, `${(e as Error).message} (from the setting ${name})`);
      }
    }
  }
  return out as RunOptions;
}
