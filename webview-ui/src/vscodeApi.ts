// The one door to the host. Inside VS Code: acquireVsCodeApi (callable once per page). In a plain browser
// (development page, tests without the stand-in): a hook the harness may provide (window.cnnfHost), else
// a loopback event ('cnnf:post' on window) a harness can listen to, with the view state in sessionStorage
// so a reload restores the view just like VS Code's getState/setState.
import type { FromWebview } from '../../src/shared/protocol';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare global {
  interface Window {
    acquireVsCodeApi?: () => VsCodeApi;
    cnnfHost?: (message: FromWebview) => void;
  }
}

export interface HostBridge {
  /** Where messages go: VS Code, a harness hook, or the loopback event. */
  readonly kind: 'vscode' | 'hook' | 'loopback';
  post(message: FromWebview): void;
  getState(): unknown;
  setState(state: unknown): void;
}

const storageKey = 'cnn-fixations.webview-state';

function browserBridge(): HostBridge {
  return {
    kind: window.cnnfHost ? 'hook' : 'loopback',
    post(message) {
      if (window.cnnfHost) window.cnnfHost(message);
      else window.dispatchEvent(new CustomEvent('cnnf:post', { detail: message }));
    },
    getState() {
      try {
        const text = sessionStorage.getItem(storageKey);
        return text ? (JSON.parse(text) as unknown) : undefined;
      } catch {
        return undefined; // storage disabled (opaque origin): start fresh
      }
    },
    setState(state) {
      try {
        sessionStorage.setItem(storageKey, JSON.stringify(state));
      } catch {
        /* storage disabled: the view simply will not survive a reload */
      }
    },
  };
}

let bridge: HostBridge | undefined;

export function hostBridge(): HostBridge {
  if (bridge) return bridge;
  if (typeof window.acquireVsCodeApi === 'function') {
    const api = window.acquireVsCodeApi();
    bridge = { kind: 'vscode', post: (m) => api.postMessage(m), getState: () => api.getState(), setState: (s) => api.setState(s) };
  } else {
    bridge = browserBridge();
  }
  return bridge;
}
