// Watching one file (the model or the image of a panel): a burst of events (a re-export writes, renames,
// touches) becomes one call, after the file has been quiet for a moment.
import * as path from 'node:path';
import * as vscode from 'vscode';

export function watchFile(file: string, onChange: (kind: 'changed' | 'created' | 'deleted') => void, quietMs = 400): vscode.Disposable {
  const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(path.dirname(file)), path.basename(file)));
  let timer: NodeJS.Timeout | undefined;
  const later = (kind: 'changed' | 'created' | 'deleted') => () => {
    clearTimeout(timer);
    timer = setTimeout(() => onChange(kind), quietMs);
  };
  const subs = [w.onDidChange(later('changed')), w.onDidCreate(later('created')), w.onDidDelete(later('deleted'))];
  return {
    dispose: () => {
      clearTimeout(timer);
      for (const s of subs) s.dispose();
      w.dispose();
    },
  };
}
