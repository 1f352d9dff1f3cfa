/* The campaign editor: the audience preview follows the filters as they change (same origin only). */
(function () {
  "use strict";
  var form = document.getElementById("campaign-form");
  if (!form) return;
  var box = document.getElementById("preview");
  var url = form.getAttribute("data-preview");
  var audience = ["tiers", "stages", "rfm_segments", "channels", "tags", "kol", "points_min", "points_max",
    "active_within_days", "inactive_for_days", "followed_since"];
  var timer = null, asked = 0;

  function set(key, text) {
    var el = box.querySelector('[data-k="' + key + '"]');
    if (el) el.textContent = text;
  }

  function clearLive() {
    var old = form.querySelectorAll('.field-error.live, .field-error[data-for^="audience"]');
    for (var i = 0; i < old.length; i++) old[i].parentNode.removeChild(old[i]);
  }

  function showErrors(errors) {
    Object.keys(errors).forEach(function (key) {
      var name = key.replace(/^audience\./, "");
      var input = form.querySelector('[name="' + name + '"]');
      var where = input ? (input.closest(".checks") || input.closest("label.check") || input) : box;
      var note = document.createElement("div");
      note.className = "field-error live";
      note.textContent = errors[key].join(";");
      where.parentNode.insertBefore(note, where.nextSibling);
    });
  }

  function refresh() {
    var data = new FormData(form), query = new URLSearchParams();
    data.forEach(function (value, key) {
      if (audience.indexOf(key) >= 0 && String(value).trim() !== "") query.append(key, value);
    });
    var mine = ++asked;
    box.classList.add("busy");
    fetch(url + "?" + query.toString(), {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (r) { return r.json().then(function (body) { return {ok: r.ok, body: body}; }); })
      .then(function (answer) {
        if (mine !== asked) return;
        box.classList.remove("busy");
        clearLive();
        var b = answer.body;
        if (!answer.ok) {
          ["audience", "reachable", "kf", "mass"].forEach(function (k) { set(k, "—"); });
          set("held", "请先修正标红的条件");
          showErrors(b.errors || {});
          return;
        }
        set("audience", b.audience);
        set("reachable", b.reachable);
        set("kf", b.by_channel["客服消息"]);
        set("mass", b.by_channel["群发"]);
        var held = Object.keys(b.held).map(function (k) { return k + " " + b.held[k] + " 人"; });
        set("held", held.length ? "暂不发送:" + held.join(";") : "人数随条件实时更新(不含免打扰时段)。");
      })
      .catch(function () { box.classList.remove("busy"); set("held", "预览暂时不可用"); });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  }

  function toggleAb() {
    var on = document.getElementById("ab").checked;
    document.getElementById("variant-b").hidden = !on;
    var splits = form.querySelectorAll(".ab-only");
    for (var i = 0; i < splits.length; i++) splits[i].hidden = !on;
  }

  function toggleWhen() {
    var picked = form.querySelector('input[name="schedule"]:checked');
    var parts = form.querySelectorAll("[data-when]");
    for (var i = 0; i < parts.length; i++) {
      parts[i].hidden = !picked || parts[i].getAttribute("data-when") !== picked.value;
    }
  }

  var whens = form.querySelectorAll('input[name="schedule"]');
  for (var w = 0; w < whens.length; w++) whens[w].addEventListener("change", toggleWhen);
  toggleWhen();
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  var ab = document.getElementById("ab");  // the campaign editor's A/B switch (journeys have one message)
  if (ab) {
    ab.addEventListener("change", toggleAb);
    toggleAb();
  }
  refresh();
})();
