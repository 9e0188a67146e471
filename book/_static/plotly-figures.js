// Draw the book's plotly figures, in the page's theme and fitted to the screen.
//
// Each figure is stored in the page as an empty <div class="plotly-graph-div"> followed by
// <script type="application/json" data-glove-figure="ID"> with its data, layout and config
// (glove_lite.book.plotting.figure_html). lazy-load.js loads plotly.js and then this script
// once a figure nears the screen; each figure is drawn when it comes within a screen of
// the viewport, with the colours of the theme that sphinx-book-theme sets on <html>
// (data-theme="light" | "dark"), and redrawn when the reader switches theme or the page
// becomes narrow or wide. Keep THEMES equal to glove_lite.book.plotting.THEME_COLORS
// (tests/test_plotting.py compares them).
//
// On a narrow page (NARROW px or less) a figure keeps what it says but changes its layout:
// a legend moves above the plot (a legend beside it would squeeze the plot), and panels
// laid out side by side (plotly subplots) are stacked in one column, each with its title.
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

  const NARROW = 600; // px: at or below this width a figure gets its narrow layout
  const PANEL_HEIGHT = 300; // px: height of one stacked panel
  const PANEL_GAP = 90; // px between stacked panels: tick labels, axis title, next panel's title
  const AXIS = /^([xy])axis(\d*)$/;
  const SCENE = /^scene\d*$/;

  function currentTheme() {
    return document.documentElement.dataset.theme === "dark" ? "dark" : "light";
  }

  function specOf(gd) {
    const script = document.querySelector('script[data-glove-figure="' + gd.id + '"]');
    return script ? JSON.parse(script.textContent) : null;
  }

  function isNarrow(gd) {
    return gd.parentElement.clientWidth <= NARROW;
  }

  // The layout update that gives one figure the colours of `theme`.
  function themeUpdate(keys, theme) {
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
    for (const key of keys) {
      if (AXIS.test(key)) {
        axisColours(key);
      } else if (SCENE.test(key)) {
        ["xaxis", "yaxis", "zaxis"].forEach((a) => axisColours(key + "." + a));
      }
    }
    return update;
  }

  // Apply a relayout-style update ({"a.b": value}) to a plain layout object.
  function applyUpdate(layout, update) {
    for (const [path, value] of Object.entries(update)) {
      const parts = path.split(".");
      let node = layout;
      for (const part of parts.slice(0, -1)) {
        node[part] = node[part] || {};
        node = node[part];
      }
      node[parts[parts.length - 1]] = value;
    }
  }

  // Panels side by side -> one column. Returns the new height, or null if nothing changed.
  function stackPanels(layout) {
    const panels = [];
    for (const key of Object.keys(layout)) {
      const m = AXIS.exec(key);
      if (m && m[1] === "x" && layout[key].domain) {
        const yKey = "yaxis" + (layout[key].anchor || "y").slice(1);
        if (layout[yKey] && layout[yKey].domain) {
          panels.push({ x: layout[key], y: layout[yKey], xd: layout[key].domain.slice(), yd: layout[yKey].domain.slice() });
        }
      }
    }
    const columns = new Set(panels.map((p) => p.xd.join()));
    if (panels.length < 2 || columns.size < 2) {
      return null;
    }
    // Reading order: top row first, left to right.
    panels.sort((a, b) => b.yd[1] - a.yd[1] || a.xd[0] - b.xd[0]);
    const n = panels.length;
    const plotHeight = n * PANEL_HEIGHT + (n - 1) * PANEL_GAP;
    const margin = layout.margin || {};
    const height = plotHeight + (margin.t || 30) + (margin.b || 50) + 40;
    const gap = PANEL_GAP / plotHeight;
    const slot = (1 + gap) / n;
    const titles = (layout.annotations || []).filter((a) => a.xref === "paper" && a.yref === "paper");
    // A subplot title sits centred over its panel's old top edge: it moves with the panel
    // (matched before anything moves, as a moved title may sit where another panel was).
    const owned = panels.map((p) => {
      const centre = (p.xd[0] + p.xd[1]) / 2;
      return titles.filter((a) => Math.abs(a.x - centre) < 0.01 && Math.abs(a.y - p.yd[1]) < 0.02);
    });
    panels.forEach((p, k) => {
      const top = 1 - k * slot;
      const bottom = Math.max(0, top - slot + gap);
      owned[k].forEach((a) => {
        a.x = 0.5;
        a.y = top;
      });
      p.x.domain = [0, 1];
      p.y.domain = [bottom, top];
    });
    // A legend placed between or below the old rows would land on a panel: put it above
    // the first panel's title (plotly makes room for it in the top margin).
    layout.legend = Object.assign({}, layout.legend, {
      orientation: "h", x: 0, xanchor: "left", y: 1 + 28 / plotHeight, yanchor: "bottom",
    });
    return height;
  }

  // The layout to draw `spec` with in `gd` now: theme colours, and the narrow layout if needed.
  function layoutFor(gd, spec, theme, narrow) {
    const layout = JSON.parse(JSON.stringify(spec.layout || {}));
    let height = layout.height;
    if (narrow) {
      const stacked = stackPanels(layout);
      if (stacked) {
        height = Math.max(height || 0, stacked);
      } else if (layout.showlegend !== false && (spec.data || []).length > 1 && !(layout.legend && layout.legend.orientation === "h")) {
        layout.legend = Object.assign({}, layout.legend, { orientation: "h", x: 0, xanchor: "left", y: 1.02, yanchor: "bottom" });
      }
    }
    layout.height = height;
    const keys = new Set(["xaxis", "yaxis", ...Object.keys(layout)]);
    applyUpdate(layout, themeUpdate(keys, theme));
    return layout;
  }

  function draw(gd) {
    const spec = specOf(gd);
    if (!spec || !window.Plotly) {
      return Promise.resolve();
    }
    const theme = currentTheme();
    const narrow = isNarrow(gd);
    const layout = layoutFor(gd, spec, theme, narrow);
    if (layout.height) {
      gd.style.height = layout.height + "px";
    }
    gd.dataset.gloveTheme = theme;
    gd.dataset.gloveNarrow = String(narrow);
    const plot = gd._fullLayout ? window.Plotly.react : window.Plotly.newPlot;
    return plot(gd, spec.data || [], layout, spec.config || {});
  }

  function figures() {
    return [...document.querySelectorAll(".plotly-graph-div")].filter((gd) => specOf(gd));
  }

  // Theme switch: recolour the figures already drawn.
  function recolour() {
    const theme = currentTheme();
    figures()
      .filter((gd) => gd._fullLayout && gd.dataset.gloveTheme !== theme)
      .forEach((gd) => {
        gd.dataset.gloveTheme = theme;
        window.Plotly.relayout(gd, themeUpdate(Object.keys(gd._fullLayout), theme));
      });
  }

  // Width change across NARROW: redraw those figures with the other layout.
  function refit() {
    figures()
      .filter((gd) => gd._fullLayout && gd.dataset.gloveNarrow !== String(isNarrow(gd)))
      .forEach(draw);
  }

  function start() {
    const pending = new Set(figures());
    const observer =
      "IntersectionObserver" in window
        ? new IntersectionObserver(
            (entries) => {
              entries
                .filter((entry) => entry.isIntersecting && pending.has(entry.target))
                .forEach((entry) => {
                  pending.delete(entry.target);
                  observer.unobserve(entry.target);
                  draw(entry.target);
                });
            },
            { rootMargin: "100% 0px" },
          )
        : null;
    pending.forEach((gd) => (observer ? observer.observe(gd) : draw(gd)));
    new MutationObserver(recolour).observe(document.documentElement, {
      attributes: true,
      attributeFilter: ["data-theme"],
    });
    let timer = null;
    window.addEventListener("resize", () => {
      clearTimeout(timer);
      timer = setTimeout(refit, 150);
    });
    // Printing shows every figure.
    window.addEventListener("beforeprint", drawAll);
    function drawAll() {
      const todo = [...pending];
      pending.clear();
      if (observer) {
        observer.disconnect();
      }
      return Promise.all(todo.map(draw));
    }
    // For tests and for pages that add figures later.
    window.gloveFigures = { drawAll: drawAll, draw: draw, recolour: recolour };
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
