// @ts-check
// The edgecache operator dashboard, put together: the sign-in (signin.js),
// then the poller (poller.js) whose state the isolate view (overview.js),
// the fleet view (fleet.js), the banners (banners.js) and the chart
// (chart.js) render after each poll; the live invalidation feed (feed.js);
// and the operation forms (forms.js).

import { adminApi } from "./api.js";
import { renderBanners } from "./banners.js";
import { ChartPanel } from "./chart.js";
import { $ } from "./dom.js";
import { startFeed } from "./feed.js";
import { FleetView } from "./fleet.js";
import { setupForms } from "./forms.js";
import { renderOverview, renderPollStatus } from "./overview.js";
import { Poller } from "./poller.js";
import { Session, showSignin } from "./signin.js";

/** @typedef {import("./types.js").IsolateStats} IsolateStats */

/**
 * Opens the dashboard for the signed-in session.
 * @param {Session} session
 * @param {IsolateStats | null} initialStats what the sign-in answered, if it just happened
 */
function startDashboard(session, initialStats) {
  $("app").hidden = false;
  const api = adminApi((error) => session.refused(error));
  const interval = $("poll-interval", HTMLSelectElement);
  const fleet = new FleetView({
    api,
    onChange: () => {
      render();
      void poller.poll();
    },
  });
  const poller = new Poller({
    api,
    intervals: [...interval.options].map((option) => Number(option.value)),
    alsoRefresh: () => (fleet.active() ? fleet.refresh() : null),
    onUpdate: () => render(),
  });
  session.onLeave(() => poller.stop());
  const forms = setupForms({ api, getStats: () => poller.state.stats });
  const chart = new ChartPanel($("chart"), () => (fleet.active() ? fleet.chart() : { points: poller.state.points, minSpanMs: 60_000 }));

  function render() {
    const state = poller.state;
    renderOverview(state);
    fleet.render();
    renderBanners(state);
    renderPollStatus(state, poller.intervalMs);
    chart.render();
    forms.update(state.stats);
  }

  interval.value = String(poller.intervalMs);
  interval.addEventListener("change", () => {
    poller.intervalMs = Number(interval.value);
    renderPollStatus(poller.state, poller.intervalMs);
  });
  $("signout").addEventListener("click", () => session.signOut(null));
  startFeed(session);

  if (initialStats) poller.seed(initialStats);
  render();
  void poller.poll();
}

const session = new Session();
if (session.token) startDashboard(session, null);
else showSignin((stats) => startDashboard(session, stats));
