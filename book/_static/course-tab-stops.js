/* Keyboard access to the code, outputs and tables that scroll, without laying out the whole page.

   pydata-sphinx-theme gives each such element a tab stop when the page has loaded, and to know
   which ones scroll it measures all of them. Measuring an element in a section that the browser
   skips (content-visibility: auto, course-pages.css) makes it lay that section out, so on a long
   chapter the theme's pass laid out the whole page: most of the main thread's work on a phone.
   The build turns that pass off (course_pages.py) and gives every code block and table
   tabindex="0", so none that scrolls is out of reach before it is measured. Here an element is
   measured only when it is rendered anyway: at start for those on screen, when the browser
   renders its section, when a <details> around it opens, and after the window is resized. */
(() => {
  "use strict";
  // the elements the theme gives tab stops to (its addTabStopsToScrollableElements)
  const SCROLLERS = [
    "pre",
    ".nboutput > .output_area",
    ".cell_output > .output",
    ".jp-RenderedHTMLCommon",
    ".pst-scrollable-table-container",
  ].join(", ");

  // false inside a skipped section; browsers without checkVisibility skip nothing
  const rendered = (element) =>
    !element.checkVisibility || element.checkVisibility({ contentVisibilityAuto: true });

  const setTabStop = (element) => {
    const scrolls =
      element.scrollWidth > element.clientWidth || element.scrollHeight > element.clientHeight;
    element.tabIndex = scrolls ? 0 : -1;
  };

  const setTabStopsWithin = (root) => {
    for (const element of root.querySelectorAll(SCROLLERS)) {
      if (rendered(element)) setTabStop(element);
    }
  };

  // neither event bubbles, so both are caught on their way down
  document.addEventListener(
    "contentvisibilityautostatechange",
    (event) => event.skipped || setTabStopsWithin(event.target),
    true,
  );
  document.addEventListener(
    "toggle",
    (event) => event.target.open && setTabStopsWithin(event.target),
    true,
  );
  let resized = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resized);
    resized = setTimeout(() => setTabStopsWithin(document), 300);
  });
  setTabStopsWithin(document);
})();
