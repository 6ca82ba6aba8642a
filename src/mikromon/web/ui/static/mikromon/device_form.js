/* Device form: switching API-SSL moves a default port along (8728 <-> 8729).
 *
 * The port input carries data-plain-port and data-ssl-port. A port left at the
 * other transport's default follows the checkbox; any other port is the
 * operator's choice and stays. The empty field's placeholder shows the port that
 * an empty value means. The server applies the same rule when saving.
 */
(function () {
  "use strict";

  function bind() {
    const ssl = document.getElementById("id_use_ssl");
    const port = document.getElementById("id_port");
    if (!ssl || !port || !port.dataset.plainPort) return;
    const plain = port.dataset.plainPort;
    const secure = port.dataset.sslPort;
    ssl.addEventListener("change", () => {
      const [from, to] = ssl.checked ? [plain, secure] : [secure, plain];
      if (port.value.trim() === from) port.value = to;
      port.placeholder = to;
    });
  }

  document.addEventListener("DOMContentLoaded", bind);
})();
