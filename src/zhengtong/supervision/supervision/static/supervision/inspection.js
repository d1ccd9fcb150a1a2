// 掌上执法: the phone's location, when the inspector asks for it.
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("locate");
  if (!button || !navigator.geolocation) { return; }
  button.addEventListener("click", function () {
    navigator.geolocation.getCurrentPosition(function (p) {
      var lat = p.coords.latitude.toFixed(6), lng = p.coords.longitude.toFixed(6);
      document.getElementById("latitude").value = lat;
      document.getElementById("longitude").value = lng;
      document.getElementById("location-text").textContent = lat + ", " + lng;
    });
  });
});
