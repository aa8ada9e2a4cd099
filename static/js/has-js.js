// Runs in <head>, before the first paint: pages style themselves for JavaScript from the start
// (`.js` in portal.css), so nothing moves when their deferred scripts run.
document.documentElement.classList.add("js");
