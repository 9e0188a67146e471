// Load a page's heavy scripts after its first paint, and only when they are needed.
//
// book/_ext/glove_book.py adds this script (deferred) to a page that needs one of the
// book's lazy assets (LAZY_ASSETS there), with a JSON list of them in
// <script type="application/json" id="glove-lazy-assets">:
//   [{"name": "plotly", "selector": ".plotly-graph-div", "scripts": ["../_static/plotly.min.js", ...]}]
// Once the page has painted, the scripts of an asset are fetched, in order, when the first
// element matching its selector comes within a screen of the viewport; nothing is fetched
// for an asset whose elements the reader never scrolls near. Plain <script src> tags, so it
// works from file:// too. window.gloveLazy.load(name) loads an asset at once (a Promise).
(function () {
  "use strict";

  const config = document.getElementById("glove-lazy-assets");
  const assets = config ? JSON.parse(config.textContent) : [];
  const loading = {};

  // One script; a UMD bundle such as plotly.min.js registers itself as an anonymous AMD
  // module when a define() is around (require.js: "Mismatched anonymous define()"), so
  // define is hidden while it runs. Scripts load one after the other, so this is safe.
  function loadScript(url) {
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      const amd = window.define;
      if (amd && amd.amd) {
        window.define = undefined;
      }
      const restore = () => {
        if (amd && amd.amd) {
          window.define = amd;
        }
      };
      script.src = url;
      script.onload = () => {
        restore();
        resolve();
      };
      script.onerror = () => {
        restore();
        reject(new Error("could not load " + url));
      };
      document.head.appendChild(script);
    });
  }

  function load(name) {
    const asset = assets.find((a) => a.name === name);
    if (!asset) {
      return Promise.reject(new Error("no lazy asset named " + name));
    }
    if (!loading[name]) {
      loading[name] = asset.scripts.reduce((done, url) => done.then(() => loadScript(url)), Promise.resolve());
      loading[name].catch((error) => console.error(error.message));
    }
    return loading[name];
  }

  function watch(asset) {
    const elements = document.querySelectorAll(asset.selector);
    if (!elements.length) {
      return;
    }
    if (!("IntersectionObserver" in window)) {
      load(asset.name);
      return;
    }
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) {
          observer.disconnect();
          load(asset.name);
        }
      },
      { rootMargin: "100% 0px" },
    );
    elements.forEach((el) => observer.observe(el));
  }

  window.gloveLazy = { load: load, assets: assets.map((a) => a.name) };

  // After the first paint: a frame to paint, then the next task.
  function afterFirstPaint() {
    requestAnimationFrame(() => setTimeout(() => assets.forEach(watch), 0));
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", afterFirstPaint);
  } else {
    afterFirstPaint();
  }
})();
