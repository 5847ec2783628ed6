/* ror-gis human pages: shared components (combobox, API helpers) and the coordinator page (GET /).
 * Vanilla JS, no framework, same-origin requests only. Exposes window.RorPages for integrer.js. */
(function () {
  "use strict";

  var FILTERS = ["type_offre", "public", "activite", "age"];
  var CANAUX = { "2": "Tél.", "3": "Fax", "4": "Courriel", "5": "Site web",
                 telephone: "Tél.", phone: "Tél.", fax: "Fax", email: "Courriel", mail: "Courriel", url: "Site web" };

  // --- helpers -----------------------------------------------------------------------------------
  function norm(s) {
    return String(s || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9]+/g, " ").trim();
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "className") node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      if (c == null) return;
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  function debounce(fn, ms) {
    var t = null;
    return function () {
      var args = arguments, self = this;
      clearTimeout(t);
      t = setTimeout(function () { fn.apply(self, args); }, ms);
    };
  }

  /** Error carrying a French message for the user. */
  function ApiError(message, status) {
    this.message = message;
    this.status = status;
  }

  /** GET a same-origin JSON URL; rejects with an ApiError whose message is French. */
  function getJson(url, signal) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, signal: signal })
      .catch(function (err) {
        if (err && err.name === "AbortError") throw err;
        throw new ApiError("Le service ne répond pas. Vérifiez votre connexion puis réessayez.", 0);
      })
      .then(function (r) {
        if (r.ok) return r.json();
        return r.json().catch(function () { return {}; }).then(function (body) {
          var detail = body && typeof body.detail === "string" ? body.detail : null;
          if (r.status >= 500) {
            throw new ApiError("Le service est momentanément indisponible (erreur " + r.status +
              "). Réessayez dans quelques instants.", r.status);
          }
          throw new ApiError(detail || ("La demande n'a pas abouti (erreur " + r.status + ")."), r.status);
        });
      });
  }

  var nomenclatureCache = {};
  function nomenclature(name) {
    if (!nomenclatureCache[name]) {
      nomenclatureCache[name] = getJson("/api/v1/nomenclatures/" + encodeURIComponent(name)).then(function (d) {
        var codes = (d.codes || []).map(function (c) {
          return { code: c.code, label: c.label, key: norm(c.label) };
        });
        codes.sort(function (a, b) { return a.label.localeCompare(b.label, "fr", { sensitivity: "base" }); });
        return codes;
      });
      nomenclatureCache[name].catch(function () { delete nomenclatureCache[name]; });
    }
    return nomenclatureCache[name];
  }

  function filterCodes(codes, query) {
    var q = norm(query);
    if (!q) return codes.slice();
    var words = q.split(" ");
    var out = codes.filter(function (c) {
      if (c.code === query.trim() || c.code.indexOf(q) === 0) return true;
      return words.every(function (w) { return c.key.indexOf(w) !== -1; });
    });
    function rank(c) {
      if (c.code === query.trim()) return 0;
      if (c.key.indexOf(q) === 0) return 1;
      if ((" " + c.key).indexOf(" " + words[0]) !== -1) return 2;
      return 3;
    }
    out.sort(function (a, b) { return rank(a) - rank(b); });
    return out;
  }

  function plural(n, one, many) { return n === 1 ? one : many; }

  /** "Paris 15e Arrondissement" -> "Paris 15e" (the arrondissement is clear from its ordinal). */
  function placeName(nom) {
    return String(nom || "").replace(/\s+arrondissement$/i, "");
  }

  function communeLabel(c) {
    if (!c) return "";
    if (c.label) return placeName(c.label.replace(/\s+arrondissement(?=\s*\(|$)/i, ""));
    return placeName(c.nom) + (c.departement ? " (" + c.departement + ")" : "");
  }

  var ACRONYMS = /^(EHPAD|EHPA|SSIAD|SAAD|SAD|SPASAD|SESSAD|SAVS|SAMSAH|IME|ITEP|ESAT|FAM|MAS|CMP|CMPP|CATTP|CSAPA|CAARUD|DAC|EMG|EMGP|HAD|SMR|USLD|PASA|UHR|CCAS|CH|CHU|CHI|APHP|AP-HP|ARS|FINESS|ROR|IDF|MDPH|PMI|CLIC|MAIA|PCPE|UEROS|CRP|SAJ|EEAP|IEM|CAMSP|CPO|CHS|EPS|EPSM|GHT|SCI|ADMR|UNA|CRF|ASSO)$/;
  var ABBREVIATIONS = { ST: "Saint", STE: "Sainte", STS: "Saints", STES: "Saintes", AV: "Avenue", BD: "Boulevard",
                        CHE: "Chemin", PL: "Place", RTE: "Route", ALL: "Allée", IMP: "Impasse" };
  var SMALL = /^(DE|DU|DES|LA|LE|LES|ET|EN|AU|AUX|SUR|SOUS|L|D)$/;

  /** A label written in capitals by its source ("EHPAD LES LILAS", "93200 ST DENIS") in sentence-like case;
   * other labels unchanged. Acronyms stay in capitals. */
  function tidy(value) {
    var s = String(value || "");
    var letters = s.replace(/[^A-Za-zÀ-ÿ]/g, "");
    if (letters.length < 4 || letters !== letters.toUpperCase()) return s;
    var first = true;
    return s.split(/(\s+|[-'’/(),])/).map(function (w) {
      if (!/[A-Za-zÀ-ÿ]/.test(w)) return w;
      var out;
      if (ABBREVIATIONS[w]) out = ABBREVIATIONS[w];
      else if (ACRONYMS.test(w)) out = w;
      else if (!first && SMALL.test(w)) out = w.toLowerCase();
      else out = w.charAt(0) + w.slice(1).toLowerCase();
      first = false;
      return out;
    }).join("");
  }

  // --- ARIA combobox (list autocomplete) -----------------------------------------------------------
  /**
   * input[role=combobox] + ul[role=listbox]. opts:
   *  source(query, signal) -> Promise<items>; render(item) -> {text, detail}; onSelect(item);
   *  minChars (default 2); delay (ms, default 200); openOnEmpty (show every item on ArrowDown/click);
   *  live: element announcing the number of suggestions; noun: ["commune", "communes"].
   */
  function Combobox(input, listbox, opts) {
    this.input = input;
    this.listbox = listbox;
    this.opts = opts;
    this.items = [];
    this.active = -1;
    this.controller = null;
    this.seq = 0;
    var self = this;
    var minChars = opts.minChars == null ? 2 : opts.minChars;
    var run = debounce(function () { self.query(input.value); }, opts.delay == null ? 200 : opts.delay);

    input.addEventListener("input", function () {
      if (opts.onEdit) opts.onEdit(input.value);
      if (input.value.trim().length < minChars && !(opts.openOnEmpty && !input.value.trim())) {
        self.seq++;
        self.close();
        return;
      }
      run();
    });
    input.addEventListener("keydown", function (e) { self.onKey(e); });
    input.addEventListener("blur", function () {
      setTimeout(function () {
        if (document.activeElement !== input) {
          self.close();
          if (opts.onBlur) opts.onBlur();
        }
      }, 150);
    });
    if (opts.openOnEmpty) {
      input.addEventListener("click", function () { if (self.listbox.hidden) self.query(input.value); });
    }
    listbox.addEventListener("mousedown", function (e) { e.preventDefault(); });  // keep the focus
    listbox.addEventListener("click", function (e) {
      var li = e.target.closest("[role=option]");
      if (li) self.select(Number(li.getAttribute("data-index")));
    });
  }

  Combobox.prototype.query = function (text) {
    var self = this;
    var seq = ++this.seq;
    if (this.controller) this.controller.abort();
    this.controller = typeof AbortController === "function" ? new AbortController() : null;
    return Promise.resolve(this.opts.source(text.trim(), this.controller && this.controller.signal))
      .then(function (items) {
        if (seq !== self.seq) return;
        self.show(items || []);
      })
      .catch(function (err) {
        if (err && err.name === "AbortError") return;
        if (seq !== self.seq) return;
        self.show([]);
        self.announce(err && err.message ? err.message : "Suggestions indisponibles.");
      });
  };

  Combobox.prototype.announce = function (text) {
    if (this.opts.live) {
      this.opts.live.textContent = "";
      var live = this.opts.live;
      setTimeout(function () { live.textContent = text; }, 30);
    }
  };

  Combobox.prototype.show = function (items) {
    var self = this;
    var noun = this.opts.noun || ["proposition", "propositions"];
    this.items = items;
    this.active = -1;
    this.listbox.textContent = "";
    this.input.removeAttribute("aria-activedescendant");
    if (!items.length) {
      this.listbox.appendChild(el("li", { className: "pg-option-empty", role: "option", "aria-disabled": "true",
                                          "aria-selected": "false", text: "Aucun résultat" }));
      this.open();
      this.announce("Aucun résultat.");
      return;
    }
    var lastGroup = null;
    items.forEach(function (item, i) {
      var group = self.opts.group ? self.opts.group(item) : null;
      if (group && group !== lastGroup) {
        // A visual heading of the group; screen readers get the family in each option's detail text.
        self.listbox.appendChild(el("li", { className: "pg-option-group", role: "presentation", "aria-hidden": "true",
                                            text: group }));
        lastGroup = group;
      }
      var r = self.opts.render(item);
      var li = el("li", { id: self.listbox.id + "-" + i, role: "option", "aria-selected": "false",
                          "data-index": String(i), className: "pg-option" },
                  [el("span", { className: "pg-option-text", text: r.text }),
                   r.detail ? el("span", { className: "pg-option-detail", text: r.detail }) : null]);
      self.listbox.appendChild(li);
    });
    this.open();
    this.announce(items.length + " " + plural(items.length, noun[0], noun[1]) +
      ". Flèches haut et bas pour parcourir, Entrée pour choisir.");
  };

  Combobox.prototype.open = function () {
    this.listbox.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
  };

  Combobox.prototype.close = function () {
    this.listbox.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
    this.active = -1;
  };

  Combobox.prototype.isOpen = function () { return !this.listbox.hidden; };

  Combobox.prototype.move = function (delta) {
    if (!this.items.length) return;
    var n = this.items.length;
    var next = this.active < 0 ? (delta > 0 ? 0 : n - 1) : (this.active + delta + n) % n;
    this.setActive(next);
  };

  Combobox.prototype.setActive = function (i) {
    var prev = this.listbox.querySelector("[aria-selected=true]");
    if (prev) prev.setAttribute("aria-selected", "false");
    this.active = i;
    var li = document.getElementById(this.listbox.id + "-" + i);
    if (!li) return;
    li.setAttribute("aria-selected", "true");
    this.input.setAttribute("aria-activedescendant", li.id);
    if (li.scrollIntoView) li.scrollIntoView({ block: "nearest" });
  };

  Combobox.prototype.onKey = function (e) {
    if (e.key === "ArrowDown" || e.key === "Down") {
      e.preventDefault();
      if (!this.isOpen()) {
        if (this.opts.openOnEmpty || this.input.value.trim().length >= (this.opts.minChars == null ? 2 : this.opts.minChars)) {
          var self = this;
          this.query(this.input.value).then(function () { if (self.items.length) self.setActive(0); });
        }
        return;
      }
      this.move(1);
    } else if (e.key === "ArrowUp" || e.key === "Up") {
      if (this.isOpen()) { e.preventDefault(); this.move(-1); }
    } else if (e.key === "Enter") {
      if (this.isOpen() && this.items.length) {
        e.preventDefault();
        this.select(this.active >= 0 ? this.active : 0);
      }
    } else if (e.key === "Escape" || e.key === "Esc") {
      if (this.isOpen()) { e.preventDefault(); this.close(); }
    } else if (e.key === "Tab") {
      this.close();
    }
  };

  Combobox.prototype.select = function (i) {
    var item = this.items[i];
    if (!item) return;
    this.close();
    this.seq++;
    this.opts.onSelect(item);
  };

  /** Commune autocomplete on /api/v1/communes?q=. */
  function communeCombobox(input, listbox, live, onSelect, currentLabel) {
    return new Combobox(input, listbox, {
      onBlur: function () {
        // Leaving the field with unfinished text: show the commune actually chosen again.
        var label = currentLabel ? currentLabel() : "";
        if (label && input.value.trim() !== label) input.value = label;
      },
      minChars: 2,
      delay: 220,
      live: live,
      noun: ["commune proposée", "communes proposées"],
      source: function (q, signal) {
        return getJson("/api/v1/communes?limit=21&q=" + encodeURIComponent(q), signal).then(function (d) {
          return d.results || [];
        });
      },
      render: function (c) {
        var cps = c.codes_postaux || [];
        var detail = cps.length > 6 ? cps.slice(0, 4).join(", ") + "… (" + cps.length + " codes postaux)" : cps.join(", ");
        if (c.correspondance) detail += (detail ? " — " : "") + c.correspondance;
        return { text: communeLabel(c), detail: detail };
      },
      onSelect: function (c) {
        input.value = communeLabel(c);
        onSelect(c);
      },
    });
  }

  /**
   * A combobox choosing one code of a nomenclature (filtered locally). input.dataset.value holds the
   * chosen code. Returns {set(code) -> Promise, value(), clear()}; onChange(code) after a user choice.
   */
  function codeCombobox(input, listbox, live, onChange, facets) {
    var name = input.getAttribute("data-nomenclature");
    var clearBtn = document.querySelector('[data-clear="' + input.id + '"]');
    var chosen = null;

    function display(c) { return c.label + " (" + c.code + ")"; }
    function refresh() {
      input.value = chosen ? display(chosen) : "";
      input.setAttribute("data-value", chosen ? chosen.code : "");
      if (clearBtn) clearBtn.hidden = !chosen;
    }
    function choose(c, notify) {
      var changed = (chosen ? chosen.code : "") !== (c ? c.code : "");
      chosen = c;
      refresh();
      if (notify && changed && onChange) onChange(c ? c.code : "");
    }

    new Combobox(input, listbox, {
      minChars: 1,
      delay: 80,
      openOnEmpty: true,
      live: live,
      source: function (q, signal) {
        if (chosen && q === display(chosen)) q = "";
        var list = facets ? facets(signal) : null;
        return (list || nomenclature(name)).then(function (codes) {
          var hits = filterCodes(codes, q);
          if (list) hits.sort(function (a, b) { return a.familyIndex - b.familyIndex; });  // stable: rank kept
          return hits;
        });
      },
      group: facets ? function (c) { return c.familyLabel || null; } : null,
      render: function (c) {
        if (c.offres == null) return { text: c.label, detail: "code " + c.code };
        return { text: c.label, detail: c.offres + " " + plural(c.offres, "offre", "offres") +
          (c.familyLabel ? " · " + c.familyLabel : "") + " · code " + c.code };
      },
      onSelect: function (c) { choose(c, true); },
      onBlur: function () {
        var text = input.value.trim();
        if (!text) { choose(null, true); return; }
        if (chosen && text === display(chosen)) return;
        nomenclature(name).then(function (codes) {
          var hits = filterCodes(codes, text);
          if (hits.length === 1 || (hits.length && hits[0].code === text)) choose(hits[0], true);
          else refresh();  // unfinished text: back to the current choice
        });
      },
    });
    if (clearBtn) {
      clearBtn.addEventListener("click", function () { choose(null, true); input.focus(); });
    }
    return {
      set: function (code) {
        if (!code) { choose(null, false); return Promise.resolve(); }
        return nomenclature(name).then(function (codes) {
          var c = codes.filter(function (x) { return x.code === code; })[0];
          choose(c || { code: code, label: "Code inconnu" }, false);
        });
      },
      value: function () { return chosen ? chosen.code : ""; },
      label: function () { return chosen ? display(chosen) : ""; },
      clear: function () { choose(null, false); },
    };
  }

  /** Fill a <select data-nomenclature> with its codes (keeping the first "all" option). */
  function fillSelect(select) {
    return nomenclature(select.getAttribute("data-nomenclature")).then(function (codes) {
      codes.forEach(function (c) {
        select.appendChild(el("option", { value: c.code, text: c.label }));
      });
    });
  }

  function selectedText(select) {
    var o = select.options[select.selectedIndex];
    return o && o.value ? o.textContent : "";
  }

  window.RorPages = {
    norm: norm, el: el, tidy: tidy, placeName: placeName, debounce: debounce, getJson: getJson, ApiError: ApiError, nomenclature: nomenclature,
    filterCodes: filterCodes, Combobox: Combobox, communeCombobox: communeCombobox,
    codeCombobox: codeCombobox, fillSelect: fillSelect, selectedText: selectedText, communeLabel: communeLabel,
    FILTERS: FILTERS,
  };

  // --- coordinator page -----------------------------------------------------------------------------
  function coordinator() {
    var $ = function (id) { return document.getElementById(id); };
    var live = $("pg-combo-live");
    var state = { insee: "", commune: null, results: [], sortKey: "distance", sortDir: 1 };
    var searchController = null;
    var searchSeq = 0;
    var mapSrc = "";

    var catalog = JSON.parse($("pg-families").textContent);
    var facetCache = {};
    // code -> family, expanded from the catalog's ranges ("21-27,35") and category lists.
    var byType = {}, byCategorie = {};
    Object.keys(catalog.type_offre).forEach(function (fam) {
      catalog.type_offre[fam].split(",").forEach(function (part) {
        var ends = part.split("-").map(Number);
        for (var n = ends[0]; n <= (ends.length > 1 ? ends[1] : ends[0]); n++) byType[String(n)] = fam;
      });
    });
    Object.keys(catalog.categorie).forEach(function (fam) {
      catalog.categorie[fam].forEach(function (code) { byCategorie[code] = fam; });
    });

    /** The family of an offer: its type d'offre first, then its establishment's category (web_map.style). */
    function familyOf(typeCode, categorie) {
      var t = String(typeCode == null ? "" : typeCode).trim().replace(/^0+(?=\d)/, "");
      var key = byType[t];
      if (!key && categorie != null) key = byCategorie[String(categorie).trim().toUpperCase()];
      return key || "autre";
    }

    /** The types d'offre covering the chosen commune (other filters applied), with counts; null before a commune
     * is chosen (the whole list is offered then). */
    function typeFacets(signal) {
      if (!state.insee) return null;
      var p = filterParams();
      p.delete("type_offre");
      var url = withParams("/api/v1/communes/" + encodeURIComponent(state.insee) + "/types-offre", p);
      if (!facetCache[url]) {
        facetCache[url] = getJson(url, signal).then(function (d) {
          return (d.types_offre || []).map(function (t) {
            var fam = familyOf(t.code, t.categorie);
            return { code: t.code, label: t.label || ("Code " + t.code), key: norm(t.label || ""), offres: t.offres,
                     family: fam, familyLabel: catalog.labels[fam], familyIndex: catalog.order.indexOf(fam) };
          });
        });
        facetCache[url].catch(function () { delete facetCache[url]; });
      }
      return facetCache[url];
    }

    var combos = {
      type_offre: codeCombobox($("pg-type_offre"), $("pg-type_offre-list"), live, onFilterChange, typeFacets),
      activite: codeCombobox($("pg-activite"), $("pg-activite-list"), live, onFilterChange),
    };
    var publicSelect = $("pg-public");
    var ageInput = $("pg-age");
    var nomenclaturesReady = fillSelect(publicSelect).catch(function () {
      showError("Les listes de filtres n'ont pas pu être chargées. La recherche par commune reste possible.");
    });

    var communeBox = communeCombobox($("pg-commune"), $("pg-commune-list"), live, function (c) {
      state.insee = c.insee;
      state.commune = c;
      $("pg-insee").value = c.insee;
      fieldError("");
      state.reveal = true;
      update(true);
    }, function () { return state.commune && state.insee ? communeLabel(state.commune) : ""; });

    publicSelect.addEventListener("change", onFilterChange);
    ageInput.addEventListener("input", debounce(function () {
      if (ageInput.value === "" || ageInput.checkValidity()) onFilterChange();
    }, 500));
    $("pg-form").addEventListener("submit", function (e) {
      e.preventDefault();
      if (!state.insee) {
        communeBox.close();  // the message must not sit under a suggestion list
        fieldError("Choisissez d'abord une commune dans la liste des propositions.");
        $("pg-commune").focus();
        return;
      }
      if (ageInput.value !== "" && !ageInput.checkValidity()) {
        fieldError("L'âge doit être un nombre entier entre 0 et 130.");
        ageInput.focus();
        return;
      }
      fieldError("");
      state.reveal = true;
      update(false);
    });
    $("pg-reset").addEventListener("click", function () {
      combos.type_offre.clear();
      combos.activite.clear();
      publicSelect.value = "";
      ageInput.value = "";
      onFilterChange();
    });

    $("pg-sort").addEventListener("change", function () {
      var v = $("pg-sort").value.split(":");
      state.sortKey = v[0];
      state.sortDir = Number(v[1]) || 1;
      renderRows();
      var names = { nom: "offre", type: "type d'offre", etablissement: "établissement", adresse: "adresse",
                    motif: "motif de couverture", distance: "distance" };
      $("pg-sort-live").textContent = "Offres triées par " + names[state.sortKey] + ", ordre " +
        (state.sortDir > 0 ? "croissant" : "décroissant") + ", dans chaque famille.";
    });

    $("pg-arrondissement").addEventListener("change", function () {
      var code = $("pg-arrondissement").value || "75056";
      state.insee = code;
      state.commune = null;
      $("pg-insee").value = code;
      $("pg-commune").value = "";
      restoreCommuneLabel(code);
      update(true);
    });

    function restoreCommuneLabel(insee) {
      getJson("/api/v1/communes/" + encodeURIComponent(insee) + "?geometry=none").then(function (f) {
        var props = f.properties || {};
        if (state.insee !== insee) return;
        state.commune = { insee: props.insee, nom: props.nom, departement: props.departement };
        $("pg-commune").value = communeLabel(state.commune);
      }).catch(function () { /* the services call reports the problem */ });
    }

    function fieldError(msg) {
      var p = $("pg-commune-error");
      p.textContent = msg;
      p.hidden = !msg;
    }

    function onFilterChange() {
      if (state.insee) update(false);
      else writeUrl(false);
    }

    function filterParams() {
      var p = new URLSearchParams();
      if (combos.type_offre.value()) p.set("type_offre", combos.type_offre.value());
      if (publicSelect.value) p.set("public", publicSelect.value);
      if (combos.activite.value()) p.set("activite", combos.activite.value());
      if (ageInput.value !== "" && ageInput.checkValidity()) p.set("age", String(parseInt(ageInput.value, 10)));
      return p;
    }

    function withParams(path, params, extra) {
      var p = new URLSearchParams(params);
      Object.keys(extra || {}).forEach(function (k) { p.set(k, extra[k]); });
      var s = p.toString();
      return path + (s ? "?" + s : "");
    }

    function writeUrl(push) {
      var p = filterParams();
      var q = new URLSearchParams();
      if (state.insee) q.set("insee", state.insee);
      p.forEach(function (v, k) { q.set(k, v); });
      var url = withParams(location.pathname, q);
      if (url === location.pathname + location.search) return;
      if (push) history.pushState(null, "", url);
      else history.replaceState(null, "", url);
    }

    function update(push) {
      writeUrl(push);
      search();
    }

    function showError(msg) {
      var box = $("pg-error");
      box.textContent = msg;
      box.hidden = !msg;
    }

    function filtersSummary() {
      var parts = [];
      if (combos.type_offre.value()) parts.push("type d'offre « " + combos.type_offre.label() + " »");
      if (publicSelect.value) parts.push("public « " + selectedText(publicSelect) + " »");
      if (combos.activite.value()) parts.push("activité « " + combos.activite.label() + " »");
      if (ageInput.value !== "" && ageInput.checkValidity()) parts.push("âge " + parseInt(ageInput.value, 10) + " ans");
      return parts;
    }

    function search() {
      var seq = ++searchSeq;
      if (searchController) searchController.abort();
      searchController = typeof AbortController === "function" ? new AbortController() : null;
      var params = filterParams();
      var section = $("pg-results");
      section.hidden = false;
      section.setAttribute("aria-busy", "true");
      $("pg-count").textContent = "Recherche en cours…";
      $("pg-filters-summary").textContent = "";
      showError("");
      var url = withParams("/api/v1/communes/" + encodeURIComponent(state.insee) + "/services", params,
                           { limit: "500" });
      getJson(url, searchController && searchController.signal).then(function (data) {
        if (seq !== searchSeq) return;
        render(data, params);
      }).catch(function (err) {
        if ((err && err.name === "AbortError") || seq !== searchSeq) return;
        renderError(err);
      }).then(function () {
        if (seq === searchSeq) section.removeAttribute("aria-busy");
      });
    }

    function setLinks(insee, params) {
      var api = "/api/v1/communes/" + encodeURIComponent(insee) + "/services";
      $("pg-csv").href = withParams(api, params, { format: "csv" });
      $("pg-xlsx").href = withParams(api, params, { format: "xlsx" });
      var embed = new URLSearchParams({ carte: "commune", insee: insee });
      params.forEach(function (v, k) { if (k !== "age") embed.set(k, v); });
      $("pg-embed").href = "/cartes/integrer?" + embed.toString();
      var share = new URLSearchParams({ insee: insee });
      params.forEach(function (v, k) { share.set(k, v); });
      $("pg-permalink").href = "/?" + share.toString();
    }

    function render(data, params) {
      var c = data.commune || {};
      var n = data.total != null ? data.total : (data.results || []).length;
      state.results = data.results || [];
      state.commune = state.commune && state.commune.insee === c.insee ? state.commune : c;
      var commune = $("pg-commune");
      if (!commune.value) commune.value = communeLabel(state.commune);
      var filtered = params.toString() !== "";
      var name = placeName(c.nom) || state.insee;
      $("pg-count").textContent = n === 0
        ? "Aucune offre ne couvre " + name + (filtered ? " avec ces critères" : "")
        : n + " " + plural(n, "offre couvre ", "offres couvrent ") + name;
      var summary = filtersSummary();
      $("pg-filters-summary").textContent = summary.length ? "Filtres : " + summary.join(", ") + "." :
        (n === 0 ? "" : "Aucun filtre appliqué.");
      if (n === 0) {
        $("pg-filters-summary").textContent += (filtered ? " Essayez en retirant un filtre." :
          " Aucune offre publique du répertoire n'intervient dans cette commune.");
      }
      renderParis(c, n);
      $("pg-fictif").hidden = !state.results.some(function (r) { return r.fictif; });
      var truncated = $("pg-truncated");
      truncated.hidden = state.results.length >= n;
      truncated.textContent = "Les " + state.results.length + " premières offres sont affichées ; " +
        "l'export CSV ou Excel contient la liste complète.";
      document.querySelector(".pg-actions").hidden = false;
      document.querySelector(".pg-layout").hidden = false;
      setLinks(c.insee || state.insee, params);
      var detailed = withParams("/cartes/commune/" + encodeURIComponent(c.insee || state.insee), params);
      var src = withParams("/cartes/commune/" + encodeURIComponent(c.insee || state.insee), params, { mode: "compact" });
      var frame = $("pg-map");
      frame.title = "Carte des offres couvrant " + name;
      if (src !== mapSrc) {
        mapSrc = src;
        frame.src = src;
      }
      $("pg-map-open").href = detailed;
      $("pg-table-caption").firstChild.textContent = "Offres couvrant " + name;
      document.title = name + " : offres du ROR — ROR Île-de-France";
      renderRows();
      if (state.reveal) {
        state.reveal = false;
        // On a phone the results start below the fold: bring their heading into view (focus stays in the form).
        var status = $("pg-status");
        var box = status.getBoundingClientRect();
        if (box.top > window.innerHeight - 80 && status.scrollIntoView) status.scrollIntoView({ block: "start" });
      }
    }

    /** Paris (and any commune with municipal arrondissements): how many offers cover all of it, how many only some
     * arrondissements, and a choice of arrondissement. */
    function renderParis(c, n) {
      var box = $("pg-paris");
      var isParis = c.insee === "75056" || /^751(0[1-9]|1\d|20)$/.test(c.insee || "");
      box.hidden = !isParis || n === 0 && c.insee === "75056";
      if (!isParis) return;
      var select = $("pg-arrondissement");
      if (select.options.length === 1) {
        for (var i = 1; i <= 20; i++) {
          select.appendChild(el("option", { value: String(75100 + i), text: "Paris " + i + (i === 1 ? "er" : "e") }));
        }
      }
      select.value = c.insee === "75056" ? "" : c.insee;
      if (c.insee !== "75056") {
        $("pg-paris-text").textContent = "Vous regardez un seul arrondissement. Choisissez « Tout Paris » pour " +
          "voir toutes les offres parisiennes.";
        return;
      }
      var partial = state.results.filter(function (r) { return r.couverture && r.couverture.partielle; }).length;
      var whole = state.results.length - partial;
      $("pg-paris-text").textContent = partial
        ? whole + " " + plural(whole, "offre couvre", "offres couvrent") + " tout Paris ; " + partial + " " +
          plural(partial, "ne couvre", "ne couvrent") + " que certains arrondissements (mention « couverture partielle »). " +
          "Choisissez l'arrondissement où vit la personne pour ne garder que les offres qui y interviennent."
        : "Toutes ces offres couvrent l'ensemble de Paris. Vous pouvez aussi choisir un arrondissement.";
    }

    function renderError(err) {
      $("pg-count").textContent = err && err.status === 404 ? "Commune introuvable" : "Recherche impossible";
      showError(err && err.message ? err.message : "La recherche n'a pas abouti.");
      $("pg-fictif").hidden = true;
      $("pg-paris").hidden = true;
      document.querySelector(".pg-actions").hidden = true;
      document.querySelector(".pg-layout").hidden = true;
      $("pg-truncated").hidden = true;
    }

    function sortValue(r, key) {
      var e = r.etablissement || {};
      switch (key) {
        case "nom": return tidy(r.nom) || "";
        case "type": return (r.type_offre && r.type_offre.label) || "";
        case "etablissement": return e.nom || "";
        case "adresse": return [e.ville, e.adresse].join(" ");
        case "motif": return (r.couverture && r.couverture.libelle) || "";
        default: return r.distance_km;
      }
    }

    function rowFamily(r) {
      var e = r.etablissement || {};
      return familyOf(r.type_offre && r.type_offre.code, e.categorie && e.categorie.code);
    }

    function sorted() {
      var key = state.sortKey, dir = state.sortDir;
      return state.results.map(function (r, i) { return [r, i, catalog.order.indexOf(rowFamily(r))]; }).sort(function (a, b) {
        if (a[2] !== b[2]) return a[2] - b[2];  // grouped by family, in the legend's order
        var x = sortValue(a[0], key), y = sortValue(b[0], key), cmp;
        if (key === "distance") {
          if (x == null && y == null) cmp = 0;
          else if (x == null) return 1;  // unknown distances last, whatever the order
          else if (y == null) return -1;
          else cmp = x - y;
        } else {
          cmp = String(x).localeCompare(String(y), "fr", { sensitivity: "base", numeric: true });
        }
        return cmp * dir || a[1] - b[1];
      }).map(function (p) { return p[0]; });
    }

    function contactNode(contacts) {
      var list = (contacts || []).filter(function (c) { return c && c.valeur; });
      if (!list.length) return el("span", { className: "pg-muted", text: "—" }, [el("span", { className: "rg-sr-only", text: "aucun contact public" })]);
      var ul = el("ul", { className: "pg-contacts" });
      list.forEach(function (c) {
        var canal = CANAUX[String(c.canal || "").toLowerCase()] || "";
        var value = String(c.valeur);
        var link = null;
        if (canal === "Tél." || canal === "Fax") link = "tel:" + value.replace(/[^0-9+]/g, "");
        else if (canal === "Courriel" || /^[^@\s]+@[^@\s]+$/.test(value)) link = "mailto:" + value;
        else if (canal === "Site web" && /^https?:\/\//.test(value)) link = value;
        var valueNode = link ? el("a", { href: link, text: value }) : document.createTextNode(value);
        ul.appendChild(el("li", {}, [canal ? canal + " " : null, valueNode]));
      });
      return ul;
    }

    function fmtKm(v) {
      return v == null ? "—" : Number(v).toLocaleString("fr-FR", { maximumFractionDigits: 1, minimumFractionDigits: 1 });
    }

    function renderRows() {
      var tbody = document.querySelector("#pg-table tbody");
      tbody.textContent = "";
      Array.prototype.forEach.call(document.querySelectorAll("#pg-table thead th[data-key]"), function (th) {
        if (th.getAttribute("data-key") === state.sortKey) {
          th.setAttribute("aria-sort", state.sortDir > 0 ? "ascending" : "descending");
        } else {
          th.removeAttribute("aria-sort");
        }
      });
      var phoneSort = $("pg-sort");
      phoneSort.value = state.sortKey + ":" + state.sortDir;
      if (phoneSort.value !== state.sortKey + ":" + state.sortDir) phoneSort.selectedIndex = -1;
      var rows = sorted();
      if (!rows.length) {
        tbody.appendChild(el("tr", { role: "row" }, [el("td", { colspan: "7", role: "cell", className: "pg-empty",
          text: "Aucune offre à afficher pour cette commune avec ces critères." })]));
        return;
      }
      var counts = {};
      rows.forEach(function (r) { var f = rowFamily(r); counts[f] = (counts[f] || 0) + 1; });
      renderLegend(counts);
      var lastFamily = null;
      rows.forEach(function (r) {
        var e = r.etablissement || {};
        var cov = r.couverture || {};
        var fam = rowFamily(r);
        if (fam !== lastFamily) {
          lastFamily = fam;
          tbody.appendChild(groupRow(fam, counts[fam]));
        }
        var offre = el("th", { scope: "row", role: "rowheader" }, [
          el("a", { href: "/cartes/offre/" + encodeURIComponent(r.id), text: tidy(r.nom) || r.id }),
          r.identifiant ? el("span", { className: "pg-sub", text: r.identifiant }) : null,
        ]);
        var type = el("td", { "data-label": "Type d'offre" }, [r.type_offre ? r.type_offre.label : "—",
          r.type_offre ? el("span", { className: "pg-sub", text: "code " + r.type_offre.code }) : null]);
        var etab = el("td", { "data-label": "Établissement" }, e.nom ? [tidy(e.nom), e.finess ? el("span", { className: "pg-sub", text: "FINESS " + e.finess }) : null]
                                      : ["—"]);
        var addr = [tidy(e.adresse), [e.code_postal, tidy(e.ville)].filter(Boolean).join(" ")].filter(Boolean);
        var adresse = el("td", { "data-label": "Adresse" }, addr.length ? [addr[0], addr[1] ? el("span", { className: "pg-sub", text: addr[1] }) : null]
                                               : ["—"]);
        var motif = el("td", { "data-label": "Pourquoi" }, [cov.libelle || "—",
          cov.partielle ? el("span", { className: "pg-badge", text: "couverture partielle" }) : null]);
        var dist = el("td", { className: "rg-num", "data-label": "Distance (km)", text: fmtKm(r.distance_km) });
        var contact = el("td", { "data-label": "Contact public" }, [contactNode(r.contacts)]);
        [type, etab, adresse, motif, dist, contact].forEach(function (td) { td.setAttribute("role", "cell"); });
        tbody.appendChild(el("tr", { role: "row" }, [offre, type, etab, adresse, motif, dist, contact]));
      });
    }

    /** A heading row of a family group: its marker (a link to the legend), its name and count. */
    function groupRow(fam, count) {
      var legendItem = $("pg-fam-" + fam);
      var icon = legendItem ? legendItem.querySelector(".pg-fam-icon").cloneNode(true) : null;
      var label = catalog.labels[fam] || fam;
      var link = el("a", { href: "#pg-fam-" + fam, className: "pg-fam-link" }, [icon,
        el("span", { className: "rg-sr-only", text: "Repère de la famille " + label + " dans la légende" })]);
      var th = el("th", { colspan: "7", scope: "colgroup", role: "columnheader", className: "pg-group" }, [link, " ",
        label + " (" + count + " " + plural(count, "offre", "offres") + ")"]);
      return el("tr", { role: "row", className: "pg-group-row", "data-family": fam }, [th]);
    }

    function renderLegend(counts) {
      Array.prototype.forEach.call(document.querySelectorAll("#pg-legend li[data-family]"), function (li) {
        var n = counts[li.getAttribute("data-family")] || 0;
        li.hidden = !n;
        li.querySelector(".pg-fam-count").textContent = n ? "(" + n + ")" : "";
      });
    }

    /** State from the URL: at load, and on history navigation (``ev``: the popstate event). */
    function restore(ev) {
      var p = new URLSearchParams(location.search);
      var insee = (p.get("insee") || "").trim();
      var age = p.get("age") || "";
      return Promise.all([
        combos.type_offre.set((p.get("type_offre") || "").split(",")[0]),
        combos.activite.set((p.get("activite") || "").split(",")[0]),
        nomenclaturesReady,
      ]).catch(function () { /* lists unavailable: the search still works */ }).then(function () {
        publicSelect.value = (p.get("public") || "").split(",")[0];
        if (publicSelect.value !== (p.get("public") || "").split(",")[0]) publicSelect.value = "";
        ageInput.value = /^\d{1,3}$/.test(age) ? age : "";
        if (!insee) {
          state.insee = "";
          // At load the person may already be typing (the lists load first): keep the text.
          if (ev) $("pg-commune").value = "";
          $("pg-results").hidden = true;
          return;
        }
        state.insee = insee;
        $("pg-insee").value = insee;
        $("pg-commune").value = "";
        restoreCommuneLabel(insee);
        search();
      });
    }

    window.addEventListener("popstate", restore);
    restore();
  }

  function start() {
    if (document.body.getAttribute("data-page") === "coordinateur") coordinator();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
