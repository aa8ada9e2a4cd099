-- Log an activity with every request: POST /entries/new/ as a signed-in holder's browser sends
-- it over HTTPS (session and CSRF cookies, the form's CSRF token, Referer and Origin), rotating
-- over many holders so that no two connections wait for the same holder.
--
-- wrk -s post_entries.lua http://host:port/entries/new/ -- HOLDERS ACTIVITY_TYPE DATE THREADS SEED
--   HOLDERS        a file with one holder a line: sessionid csrftoken-cookie csrfmiddlewaretoken
--   ACTIVITY_TYPE  the id of an uncapped per-hour activity type
--   DATE           the activity date, YYYY-MM-DD (today)
--   THREADS        wrk's -t, so that threads start on different holders
--   SEED           a random number: every run sends form tokens of its own
--
-- Only a 302 to the new entry's page counts as saved. `done` prints `bench:` lines: what was
-- sent and answered, and one failed answer's status and body to help find out why.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("index", #threads)
end

local holders = {}
local position = 0
local fields = ""
local origin = ""
sent, answered, saved, failed = 0, 0, 0, 0
failure_status, failure_body = "", ""

local function form_token()
  return (("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx"):gsub("[xy]", function(c)
    return string.format("%x", c == "x" and math.random(0, 15) or math.random(8, 11))
  end))
end

function init(args)
  for line in io.lines(args[1]) do
    local session, cookie, token = line:match("^(%S+) (%S+) (%S+)$")
    if session then
      table.insert(holders, {session = session, cookie = cookie, token = token})
    end
  end
  local count = tonumber(args[4])
  position = math.floor((index - 1) * #holders / count)
  math.randomseed(tonumber(args[5]) + index)
  fields = "activity_type=" .. args[2] .. "&activity_date=" .. args[3] ..
           "&hours=0.25&relevance_confirmed=on&confirmed=on"
  origin = "https://" .. wrk.host .. ":" .. wrk.port
end

function request()
  local holder = holders[position % #holders + 1]
  position = position + 1
  sent = sent + 1
  local body = fields .. "&title=Bench+course+" .. sent ..
               "&csrfmiddlewaretoken=" .. holder.token .. "&form_token=" .. form_token()
  return wrk.format("POST", wrk.path, {
    ["Cookie"] = "sessionid=" .. holder.session .. "; csrftoken=" .. holder.cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Origin"] = origin,
    ["Referer"] = origin .. wrk.path,
    ["X-Forwarded-Proto"] = "https",
  }, body)
end

function response(status, headers, body)
  answered = answered + 1
  local location = headers["Location"] or ""
  if status == 302 and location:match("^/entries/%d+/$") then
    saved = saved + 1
  else
    failed = failed + 1
    if failure_status == "" then
      failure_status = status .. " " .. location
      failure_body = (body or ""):gsub("%s+", " "):sub(1, 2000)
    end
  end
end

function done(summary, latency, requests)
  local totals = {sent = 0, answered = 0, saved = 0, failed = 0}
  local status, body = "", ""
  for _, thread in ipairs(threads) do
    for name in pairs(totals) do
      totals[name] = totals[name] + thread:get(name)
    end
    if status == "" and thread:get("failure_status") ~= "" then
      status, body = thread:get("failure_status"), thread:get("failure_body")
    end
  end
  -- wrk builds one request on the first thread to check the script before the run; it is
  -- never sent.
  totals.sent = totals.sent - 1
  for name, value in pairs(totals) do
    print("bench:" .. name .. " " .. value)
  end
  if status ~= "" then
    print("bench:failure_status " .. status)
    print("bench:failure_body " .. body)
  end
end
