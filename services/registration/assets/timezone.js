    // Pre-fill from the browser; without JavaScript the field simply stays empty.
    (function () {
      var field = document.getElementById("timezone");
      try { if (!field.value) { field.value = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } } catch (e) {}
    })();
