// Reads an iCalendar file on stdin with ical.js (an independent parser, not the library the
// portal writes with) and prints its events as JSON: uid, summary, start date (YYYY-MM-DD),
// whether the start is a DATE value, and url. A file ical.js cannot parse exits non-zero.
import ICAL from "ical.js";

const chunks = [];
for await (const chunk of process.stdin) {
  chunks.push(chunk);
}
const calendar = new ICAL.Component(ICAL.parse(Buffer.concat(chunks).toString("utf-8")));
const events = calendar.getAllSubcomponents("vevent").map(function (component) {
  const event = new ICAL.Event(component);
  return {
    uid: event.uid,
    summary: event.summary,
    start: event.startDate.toString(),
    all_day: event.startDate.isDate,
    url: component.getFirstPropertyValue("url"),
  };
});
process.stdout.write(JSON.stringify(events));
