// Homecare: the specialist's side of a video consultation (plain WebRTC, no framework).
//
// The page (consultation.html) gives everything in data- attributes of #call: the call
// token, the signalling path, the state and the words. The robot makes the offer (after
// the resident said yes); this page only answers, with ALL its ICE candidates in the
// answer (aiortc takes no trickled candidates), and answers every new offer with a new
// RTCPeerConnection (the robot renegotiates from scratch after a link drop).
"use strict";

(function () {
  const root = document.getElementById("call");
  if (!root) {
    return;
  }
  const TERMINAL = new Set(["declined", "ended"]);
  const GATHER_CAP_MS = 5000;
  const PING_MS = 25000;
  const RETRY_MS = [1000, 2000, 5000, 10000];
  // Refusals of the server (see fleet/calls): rejoining would only be refused again.
  const FINAL_CLOSE_CODES = new Set([4400, 4401, 4404, 4409, 4503]);

  const banner = document.getElementById("call-banner");
  const notice = document.getElementById("call-notice");
  const problem = document.getElementById("call-problem");
  const remoteVideo = document.getElementById("remote-video");
  const localVideo = document.getElementById("local-video");
  const playButton = document.getElementById("call-play");
  const hangupForm = document.getElementById("hangup-form");
  const againForm = document.getElementById("call-again-form");
  const banners = JSON.parse(root.dataset.banners || "{}");
  const reasons = JSON.parse(root.dataset.reasons || "{}");

  let state = root.dataset.state || "";
  let reason = root.dataset.reason || "";
  let token = root.dataset.token || "";
  let socket = null;
  let pc = null;
  let answeredOffer = ""; // the offer `pc` answered: a rejoin may send it again
  let iceServers = [];
  let localStream = null;
  let mediaReady = null; // the getUserMedia promise: answers wait for it
  let pinger = null;
  let retries = 0;
  let freshToken = false; // whether `token` came from the token route (not the page)
  let finished = TERMINAL.has(state);

  function showState(next, why) {
    state = next;
    reason = why || "";
    root.dataset.state = state;
    document.body.dataset.state = state; // the page's first [data-state] (see the template)
    root.dataset.reason = reason;
    banner.dataset.state = state;
    const words = reasons[reason] || reason || "—";
    banner.textContent = (banners[state] || state).replace("{reason}", words);
    const over = TERMINAL.has(state);
    if (hangupForm) {
      hangupForm.hidden = over;
    }
    if (againForm) {
      againForm.hidden = !over;
    }
  }

  // The call's history grows while the page is open (the server sends each change once).
  function addHistory(next, why) {
    let list = document.getElementById("call-history");
    if (!list) {
      list = document.createElement("ol");
      list.id = "call-history";
      list.className = "call-list";
      const empty = document.querySelector("#call-history-empty");
      if (empty) {
        empty.replaceWith(list);
      } else {
        return;
      }
    }
    const item = document.createElement("li");
    item.dataset.state = next;
    const time = document.createElement("time");
    time.textContent = new Date().toLocaleTimeString();
    const words = reasons[why] || why || "—";
    item.append(time, " ", (banners[next] || next).replace("{reason}", words));
    list.append(item);
  }

  function showProblem(text) {
    problem.textContent = text;
    problem.hidden = !text;
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  // Local media: the specialist may have no camera; the call goes on receive-only.
  function startMedia() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      noCamera();
      return Promise.resolve();
    }
    return navigator.mediaDevices
      .getUserMedia({ video: true, audio: true })
      .then((stream) => {
        if (finished) {
          stream.getTracks().forEach((track) => track.stop());
          return;
        }
        localStream = stream;
        localVideo.srcObject = stream;
      })
      .catch(noCamera);
  }

  function noCamera() {
    notice.textContent = root.dataset.textNoCamera;
    notice.hidden = false;
  }

  function stopMedia() {
    if (localStream) {
      localStream.getTracks().forEach((track) => track.stop());
      localStream = null;
    }
    localVideo.srcObject = null;
  }

  function closePeer() {
    if (pc) {
      pc.ontrack = null;
      pc.close();
      pc = null;
    }
    answeredOffer = "";
  }

  function gatheringDone(peer) {
    if (peer.iceGatheringState === "complete") {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        peer.removeEventListener("icegatheringstatechange", check);
        resolve();
      };
      const check = () => {
        if (peer.iceGatheringState === "complete") {
          done();
        }
      };
      // The answer goes with what has been gathered by then, rather than never.
      const timer = setTimeout(done, GATHER_CAP_MS);
      peer.addEventListener("icegatheringstatechange", check);
    });
  }

  function playRemote() {
    const playing = remoteVideo.play();
    if (playing && playing.catch) {
      // Autoplay with sound may be refused until the user clicks: show the picture
      // muted at once, and offer a button for the sound.
      playing.catch(() => {
        if (!remoteVideo.muted) {
          remoteVideo.muted = true;
          remoteVideo.play().catch(() => {});
          playButton.hidden = false;
        }
      });
    }
  }

  async function answer(offerSdp) {
    if (pc && offerSdp === answeredOffer && pc.connectionState !== "failed") {
      return; // the offer this call already runs on, sent again on a rejoin
    }
    closePeer();
    await mediaReady;
    if (finished) {
      return;
    }
    const peer = new RTCPeerConnection({ iceServers: iceServers });
    pc = peer;
    answeredOffer = offerSdp;
    const remote = new MediaStream();
    remoteVideo.srcObject = remote;
    peer.ontrack = (event) => {
      remote.addTrack(event.track);
      playRemote();
    };
    try {
      // The offer first: its transceivers then carry our tracks (added after it).
      await peer.setRemoteDescription({ type: "offer", sdp: offerSdp });
      if (localStream) {
        localStream.getTracks().forEach((track) => peer.addTrack(track, localStream));
      }
      await peer.setLocalDescription(await peer.createAnswer());
      await gatheringDone(peer);
    } catch (error) {
      if (pc === peer) {
        showProblem(String(error && error.message ? error.message : error));
      }
      return;
    }
    if (pc !== peer) {
      return; // a newer offer came while gathering: that one is answered instead
    }
    send({ type: "answer", sdp: peer.localDescription.sdp });
  }

  function onMessage(event) {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch (error) {
      return;
    }
    if (message.type === "joined") {
      retries = 0;
      freshToken = false;
      iceServers = message.ice_servers || [];
      showProblem("");
      const joined = message.consultation || {};
      if (joined.state) {
        showState(joined.state, joined.reason);
      }
    } else if (message.type === "offer") {
      answer(message.sdp);
    } else if (message.type === "state") {
      if (message.state !== state || (message.reason || "") !== reason) {
        addHistory(message.state, message.reason);
      }
      showState(message.state, message.reason);
      if (TERMINAL.has(message.state)) {
        finish();
      }
    } else if (message.type === "error") {
      showProblem(message.reason || "");
    }
  }

  function connect() {
    const url =
      (location.protocol === "https:" ? "wss://" : "ws://") + location.host + root.dataset.signalPath;
    const ws = new WebSocket(url);
    socket = ws;
    ws.addEventListener("open", () => ws.send(JSON.stringify({ type: "hello", token: token })));
    ws.addEventListener("message", onMessage);
    ws.addEventListener("close", (event) => {
      if (socket !== ws) {
        return;
      }
      socket = null;
      clearInterval(pinger);
      pinger = null;
      if (finished || TERMINAL.has(state)) {
        finish();
      } else if (event.code === 4401 && !freshToken) {
        rejoin(); // the page's token may have expired while it was open: one fresh try
      } else if (FINAL_CLOSE_CODES.has(event.code)) {
        if (event.code === 4409) {
          showState("ended", reason);
          finish();
        }
      } else {
        rejoinLater();
      }
    });
    pinger = setInterval(() => send({ type: "ping" }), PING_MS);
  }

  // The socket dropped while the call goes on: the media may well still flow, so the
  // peer stays; a fresh token (the old one may have expired) and a new socket.
  function rejoinLater() {
    const delay = RETRY_MS[Math.min(retries, RETRY_MS.length - 1)];
    retries += 1;
    setTimeout(rejoin, delay);
  }

  async function rejoin() {
    if (finished) {
      return;
    }
    let response;
    try {
      response = await fetch(root.dataset.tokenUrl, {
        method: "POST",
        headers: { "X-CSRF-Token": document.body.dataset.csrf || "" },
        credentials: "same-origin",
      });
    } catch (error) {
      rejoinLater(); // the server is unreachable for now
      return;
    }
    const body = await response.json().catch(() => ({}));
    if (response.ok) {
      token = body.token;
      freshToken = true;
      connect();
    } else if (response.status === 409) {
      showState(body.state || "ended", body.reason || reason);
      finish();
    } else if (response.status >= 500) {
      rejoinLater();
    } else {
      showProblem(body.detail || String(response.status));
    }
  }

  // The call is over (either side, or the server said so): nothing more is sent or shown.
  function finish() {
    finished = true;
    closePeer();
    stopMedia();
    remoteVideo.srcObject = null;
    clearInterval(pinger);
    pinger = null;
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.close(1000);
    }
  }

  function hangUp() {
    if (finished) {
      return;
    }
    const sent = send({ type: "hangup", reason: "the specialist hung up" });
    closePeer();
    stopMedia();
    if (!sent && hangupForm) {
      hangupForm.submit(); // no socket now: the form ends the call on the server
    }
    // Otherwise the server answers with `state: ended` and closes the socket.
  }

  if (hangupForm) {
    hangupForm.addEventListener("submit", (event) => {
      if (socket && socket.readyState === WebSocket.OPEN) {
        event.preventDefault();
        hangUp();
      }
    });
  }
  playButton.addEventListener("click", () => {
    playButton.hidden = true;
    remoteVideo.muted = false;
    playRemote();
  });

  async function framesDecoded() {
    if (!pc) {
      return 0;
    }
    const stats = await pc.getStats();
    let frames = 0;
    stats.forEach((report) => {
      if (report.type === "inbound-rtp" && (report.kind || report.mediaType) === "video") {
        frames += report.framesDecoded || 0;
      }
    });
    return frames;
  }

  // For the end-to-end test (and for curious people at the console).
  window.homecareCall = {
    state: () => state,
    framesDecoded: framesDecoded,
    hangUp: hangUp,
  };

  showState(state, reason);
  if (!finished && token && root.dataset.signalPath) {
    mediaReady = startMedia();
    connect();
  }
})();
