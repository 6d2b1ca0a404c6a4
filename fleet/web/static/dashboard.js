// Homecare dashboard: live incidents (Server-Sent Events) and keeping the session open.
// Plain JS, no framework; every page works without it, this only adds the live parts.
"use strict";

(function () {
  const body = document.body;
  const streamUrl = body.dataset.stream;
  if (!streamUrl) {
    return; // the sign-in page
  }
  // Every 5 min, or a third of the session's lifetime if that is shorter.
  const REFRESH_MS = Math.min(5 * 60 * 1000, (Number(body.dataset.sessionTtl) || 3600) * 333);
  const RETRY_MS = 5000;
  const status = document.getElementById("live-status");
  const banner = document.getElementById("incident-alert");
  let source = null;

  function setLive(state) {
    status.dataset.state = state;
    const text = { on: "textOn", lost: "textLost", "signed-out": "textSignedOut" }[state];
    if (text) {
      status.querySelector(".live-text").textContent = status.dataset[text];
    }
    status.querySelector(".live-login").hidden = state !== "signed-out";
    // A lost connection must be noticed: announce it, not only colour it.
    status.setAttribute("role", state === "on" ? "status" : "alert");
  }

  function csrfHeaders() {
    return { "X-CSRF-Token": body.dataset.csrf || "" };
  }

  // Keeps the session cookie fresh while a page is open; says so when it has ended.
  async function refreshSession() {
    try {
      const response = await fetch("/session/refresh", {
        method: "POST",
        headers: csrfHeaders(),
        credentials: "same-origin",
      });
      if (response.status === 401) {
        setLive("signed-out");
        return false;
      }
    } catch (error) {
      setLive("lost");
    }
    return true;
  }

  function setCount(open) {
    const base = body.dataset.title || document.title;
    document.title = (open > 0 ? "(" + open + ") " : "") + base;
    const badge = document.getElementById("open-badge");
    if (badge) {
      badge.textContent = String(open);
      badge.hidden = open === 0;
      badge.title = (badge.dataset.label || "").replace("{count}", String(open));
    }
  }

  // Residents waiting to be called back (their "call me" by voice): badge, and a beep
  // when one more asks.
  let callsWaiting = null;
  function setCallsWaiting(waiting) {
    const badge = document.getElementById("calls-badge");
    if (badge) {
      badge.textContent = String(waiting);
      badge.hidden = waiting === 0;
      badge.title = (badge.dataset.label || "").replace("{count}", String(waiting));
    }
    if (callsWaiting !== null && waiting > callsWaiting) {
      beep();
    }
    callsWaiting = waiting;
  }

  function list(status) {
    return document.getElementById("incidents-" + status);
  }

  function updateSections() {
    for (const [name, countId] of [["open", "open-count"], ["acknowledged", "ack-count"]]) {
      const items = list(name);
      if (!items) {
        continue;
      }
      const n = items.children.length;
      document.getElementById(countId).textContent = String(n);
      document.getElementById(name + "-empty").hidden = n > 0;
    }
  }

  // Newest first: insert before the first card with a smaller id.
  function place(card, target) {
    const id = Number(card.dataset.incidentId);
    const next = Array.from(target.children).find((c) => Number(c.dataset.incidentId) < id);
    target.insertBefore(card, next || null);
  }

  function showBanner(data) {
    banner.querySelector(".incident-alert-text").textContent = data.summary;
    const link = banner.querySelector("a");
    link.href = "/incidents#incident-" + data.id;
    banner.hidden = false;
  }

  // Sound for new critical incidents: a beep made with the Web Audio API (no files).
  // Browsers keep audio silent until the user has interacted with the page, so the
  // operator turns it on with a button (a click), and the choice is remembered.
  const SOUND_KEY = "homecare.sound";
  let audio = null;

  function soundOn() {
    try {
      return localStorage.getItem(SOUND_KEY) === "on";
    } catch (error) {
      return false; // storage blocked: no remembered choice
    }
  }

  function audioContext() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!audio && Context) {
      audio = new Context();
    }
    if (audio && audio.state === "suspended") {
      audio.resume().catch(() => {}); // allowed once the user has clicked or typed
    }
    return audio;
  }

  function beep() {
    const context = soundOn() ? audioContext() : null;
    if (!context) {
      return;
    }
    // Three short high tones: noticed across a room, unlike one click.
    for (let i = 0; i < 3; i++) {
      const start = context.currentTime + i * 0.25;
      const tone = context.createOscillator();
      const gain = context.createGain();
      tone.type = "square";
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.25, start + 0.01);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.18);
      tone.connect(gain).connect(context.destination);
      tone.start(start);
      tone.stop(start + 0.2);
    }
  }

  function setupSound() {
    const button = document.getElementById("sound-toggle");
    if (!button) {
      return;
    }
    const show = () => {
      const on = soundOn();
      button.setAttribute("aria-pressed", String(on));
      button.querySelector(".sound-icon").textContent = on ? "🔔" : "🔕";
      button.querySelector(".sound-text").textContent = on
        ? button.dataset.textOn
        : button.dataset.textOff;
    };
    button.hidden = false;
    show();
    button.addEventListener("click", () => {
      try {
        localStorage.setItem(SOUND_KEY, soundOn() ? "off" : "on");
      } catch (error) {
        // storage blocked: the choice lasts as long as the page
      }
      show();
      beep(); // at once, so the operator hears what an alarm sounds like
    });
    // A remembered "on" still needs one interaction on this page before audio may play.
    for (const name of ["pointerdown", "keydown"]) {
      document.addEventListener(name, () => soundOn() && audioContext(), { once: true });
    }
  }

  function onIncident(data) {
    const old = document.getElementById("incident-" + data.id);
    if (data.new && data.status === "open") {
      showBanner(data);
      if (data.severity === "critical") {
        beep();
      }
    }
    if (!list("open")) {
      return; // not the incidents page: the banner and the counter are enough
    }
    if (data.status !== "open" && data.status !== "acknowledged") {
      if (old) {
        old.remove();
      }
      updateSections();
      return;
    }
    const holder = document.createElement("template");
    holder.innerHTML = data.html.trim();
    const card = holder.content.firstElementChild;
    // The session's form token may have been refreshed since the stream started.
    card.querySelectorAll('input[name="csrf"]').forEach((input) => {
      input.value = body.dataset.csrf;
    });
    if (old) {
      // Keep the outcome the operator has already chosen.
      const typed = old.querySelector('[name="outcome"]');
      const field = card.querySelector('[name="outcome"]');
      if (typed && field) {
        field.value = typed.value;
      }
      old.remove();
    }
    if (data.new) {
      card.classList.add("flash");
    }
    place(card, list(data.status));
    updateSections();
  }

  function onSync(data) {
    const active = new Set(data.active.map(String));
    document.querySelectorAll("[data-incident-id]").forEach((card) => {
      if (!active.has(card.dataset.incidentId)) {
        card.remove();
      }
    });
    updateSections();
  }

  function connect() {
    const after = body.dataset.after;
    source = new EventSource(streamUrl + (after ? "?after=" + encodeURIComponent(after) : ""));
    source.addEventListener("open", () => setLive("on"));
    source.addEventListener("incident", (event) => {
      // Remembered for a reconnect made by hand (a new EventSource forgets Last-Event-ID).
      body.dataset.after = event.lastEventId || body.dataset.after || "";
      onIncident(JSON.parse(event.data));
    });
    source.addEventListener("sync", (event) => onSync(JSON.parse(event.data)));
    source.addEventListener("count", (event) => setCount(JSON.parse(event.data).open));
    source.addEventListener("calls", (event) => setCallsWaiting(JSON.parse(event.data).waiting));
    source.addEventListener("error", async () => {
      if (source.readyState !== EventSource.CLOSED) {
        setLive("lost"); // the browser is already reconnecting by itself
        return;
      }
      // Closed for good (e.g. 401): find out whether the session ended, else retry.
      source = null;
      if (await refreshSession()) {
        setLive("lost");
        setTimeout(connect, RETRY_MS);
      }
    });
  }

  setCount(Number(body.dataset.openCount || 0));
  setupSound();
  connect();
  setInterval(refreshSession, REFRESH_MS);
})();
