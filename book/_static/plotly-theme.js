// Recolour the book's plotly figures when the page theme changes.
//
// sphinx-book-theme sets data-theme="light" | "dark" on <html>. Figures are
// stored with the light template of glove_lite.plotting; on a dark page (and on
// every switch) this script relayouts each .plotly-graph-div with the colours
// below. Keep THEMES equal to glove_lite.plotting.THEME_COLORS
// (tests/test_plotting.py compares them).
(function () {
  "use strict";

  /* THEMES-BEGIN */
  const THEMES = {
    "light": {
      "paper_bgcolor": "#ffffff",
      "plot_bgcolor": "#ffffff",
      "font_color": "#222832",
      "gridcolor": "#e5e8ec",
      "linecolor": "#b6bcc4",
      "zerolinecolor": "#c9ced5"
    },
    "dark": {
      "paper_bgcolor": "#121212",
      "plot_bgcolor": "#121212",
      "font_color": "#ced6dd",
      "gridcolor": "#2a2e35",
      "linecolor": "#4a4f58",
      "zerolinecolor": "#3a3f47"
    }
  };
  /* THEMES-END */

  const AXIS = /^[xy]axis\d*$/;
  const SCENE = /^scene\d*$/;

  function currentTheme() {
    return document.documentElement.dataset.theme === "dark" ? "dark" : "light";
  }

  // The layout update that gives one figure the colours of `theme`.
  function themeUpdate(gd, theme) {
    const c = THEMES[theme];
    const update = {
      paper_bgcolor: c.paper_bgcolor,
      plot_bgcolor: c.plot_bgcolor,
      "font.color": c.font_color,
    };
    const axisColours = (prefix) => {
      update[prefix + ".gridcolor"] = c.gridcolor;
      update[prefix + ".linecolor"] = c.linecolor;
      update[prefix + ".zerolinecolor"] = c.zerolinecolor;
    };
    for (const key of Object.keys(gd._fullLayout || {})) {
      if (AXIS.test(key)) {
        axisColours(key);
      } else if (SCENE.test(key)) {
        ["xaxis", "yaxis", "zaxis"].forEach((a) => axisColours(key + "." + a));
      }
    }
    return update;
  }

  function applyTheme(gd, theme) {
    if (!window.Plotly || !gd._fullLayout || gd.dataset.gloveTheme === theme) {
      return;
    }
    gd.dataset.gloveTheme = theme;
    window.Plotly.relayout(gd, themeUpdate(gd, theme));
  }

  function applyAll() {
    const theme = currentTheme();
    document.querySelectorAll(".plotly-graph-div").forEach((gd) => applyTheme(gd, theme));
  }

  function start() {
    applyAll();
    // Figures still being drawn when this runs get their colours once done.
    document.querySelectorAll(".plotly-graph-div").forEach((gd) => {
      if (gd.on) {
        gd.on("plotly_afterplot", () => applyTheme(gd, currentTheme()));
      }
    });
    new MutationObserver(applyAll).observe(document.documentElement, {
      attributes: true,
      attributeFilter: ["data-theme"],
    });
  }

  // Exposed for tests and for figures added after load.
  window.gloveApplyPlotlyTheme = applyAll;

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
