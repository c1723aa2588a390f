// htmx leaves the page unchanged when the server answers with an error; staff must see why.
document.addEventListener("htmx:responseError", function (event) {
  var xhr = event.detail.xhr;
  var text = xhr.status === 409 || xhr.status === 403 || xhr.status === 400
    ? xhr.responseText
    : "The server could not complete this (" + xhr.status + "). Nothing was changed; try again or reload.";
  var box = document.getElementById("dialog") || document.querySelector("main");
  var p = document.createElement("p");
  p.className = "error";
  p.setAttribute("role", "alert");
  p.textContent = text.replace(/<[^>]*>/g, " ").trim().slice(0, 500);
  box.prepend(p);
});
document.addEventListener("htmx:sendError", function () {
  alert("The server cannot be reached. Check the connection and try again.");
});
