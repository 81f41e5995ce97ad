// Queue: "select all" for bulk reassign. No inline scripts (CSP).
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el.id === "select-all-cases") {
    document.querySelectorAll("input[name='case_ids']").forEach((box) => { box.checked = el.checked; });
  }
});
