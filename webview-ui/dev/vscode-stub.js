// Stands in for VS Code on the development page and in the Chromium tests: acquireVsCodeApi() with
// postMessage, getState and setState. Messages go to the Node host (test/webview/host.ts) through a
// Playwright binding (window.cnnfHostBinding) in the tests, or over HTTP (POST /host) to
// `run.mjs --serve`; the host's replies arrive as window 'message' events, as they do in VS Code.
(() => {
  const stateKey = 'cnn-fixations.stub-state';
  let acquired = false;

  // Over HTTP, typed arrays travel as {"$typed": name, "base64": bytes} (JSON has no binary).
  const revive = (_key, v) => {
    if (!v || typeof v !== 'object' || typeof v.$typed !== 'string') return v;
    const bin = atob(v.base64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new globalThis[v.$typed](bytes.buffer);
  };

  function send(message) {
    if (typeof window.cnnfHostBinding === 'function') {
      window.cnnfHostBinding(message).catch((e) => console.error('host binding failed', e));
      return;
    }
    fetch('/host', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(message) })
      .then((r) => r.text())
      .then((text) => {
        for (const reply of JSON.parse(text, revive)) window.postMessage(reply, '*');
      })
      .catch((e) => console.error('the development host did not answer', e));
  }

  window.acquireVsCodeApi = () => {
    // VS Code allows one call per page; so does the stand-in, so a second call is caught here too.
    if (acquired) throw new Error('An instance of the VS Code API has already been acquired');
    acquired = true;
    return {
      postMessage: (message) => send(message),
      getState: () => {
        const text = sessionStorage.getItem(stateKey);
        return text ? JSON.parse(text) : undefined;
      },
      setState: (state) => {
        sessionStorage.setItem(stateKey, JSON.stringify(state));
        return state;
      },
    };
  };
})();
