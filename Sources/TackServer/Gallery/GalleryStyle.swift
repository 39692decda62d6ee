/// The gallery's style sheet: a plain grid of thumbnails, visible focus everywhere, light and dark schemes.
enum GalleryStyle {
    static let text = #"""
:root { color-scheme: light dark; --fg: #1d2024; --bg: #f6f7f9; --card: #fff; --muted: #5b6470; --accent: #2b5fd9;
  --border: #d6dae0; --error: #b3261e; font-family: system-ui, sans-serif; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e8eaed; --bg: #15171a; --card: #1f2226; --muted: #a3abb6; --accent: #8ab4f8; --border: #3a3f45; --error: #f2b8b5; }
}
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.top { display: flex; justify-content: space-between; align-items: center; padding: .5rem 1rem; border-bottom: 1px solid var(--border); }
.brand { font-weight: 700; text-decoration: none; font-size: 1.2rem; }
button { font: inherit; padding: .35rem .8rem; border: 1px solid var(--border); border-radius: .4rem; background: var(--card); color: var(--fg); cursor: pointer; }
input { font: inherit; padding: .4rem .6rem; border: 1px solid var(--border); border-radius: .4rem; background: var(--card); color: var(--fg); }
input[aria-invalid="true"] { border-color: var(--error); }
.error { color: var(--error); margin: .3rem 0; }
.error mark { background: var(--error); color: var(--bg); padding: 0 .1rem; }
.hint { color: var(--muted); font-size: .9rem; margin: .3rem 0; }
.sign-in { max-width: 24rem; margin: 10vh auto; padding: 1.5rem; background: var(--card); border: 1px solid var(--border); border-radius: .6rem; }
.sign-in form { display: grid; gap: .5rem; }
.layout { display: grid; grid-template-columns: minmax(10rem, 14rem) 1fr; gap: 1rem; padding: 1rem; }
.layout > main:only-child { grid-column: 1 / -1; }
.room-list { list-style: none; padding: 0; margin: 0; display: grid; gap: .2rem; }
.room-list a { display: block; padding: .35rem .5rem; border-radius: .3rem; text-decoration: none; }
.room-list a[aria-current="page"] { background: var(--card); border: 1px solid var(--border); font-weight: 600; }
#search { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
#search label { width: 100%; font-weight: 600; }
#q { flex: 1; min-width: 16rem; }
#search .hint, #search .error { width: 100%; }
[role="tablist"] { display: flex; flex-wrap: wrap; gap: .3rem; margin: .8rem 0; }
[role="tab"][aria-selected="true"] { background: var(--accent); color: var(--bg); border-color: var(--accent); }
.drop { border: 2px dashed var(--border); border-radius: .6rem; padding: .5rem 1rem; margin-bottom: 1rem; }
.drop.over { border-color: var(--accent); background: var(--card); }
.drop progress { width: 100%; }
.grid { list-style: none; padding: 0; margin: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr)); gap: .8rem; }
.tile { width: 100%; padding: 0; text-align: left; display: flex; flex-direction: column; overflow: hidden; background: var(--card); }
.tile .thumb { width: 100%; aspect-ratio: 4 / 3; object-fit: cover; display: flex; align-items: center; justify-content: center;
  background: var(--bg); color: var(--muted); font-weight: 700; text-transform: uppercase; }
.tile .meta { padding: .4rem .5rem; display: grid; gap: .1rem; font-size: .85rem; }
.tile .name { font-weight: 600; overflow-wrap: anywhere; }
.tile .sub { color: var(--muted); }
.tile .snippet { font-size: .8rem; overflow-wrap: anywhere; }
.tile .snippet mark { background: var(--accent); color: var(--bg); border-radius: .15rem; padding: 0 .1rem; }
dialog { max-width: min(92vw, 80rem); max-height: 92vh; border: 1px solid var(--border); border-radius: .6rem; background: var(--card); color: var(--fg); }
dialog::backdrop { background: rgb(0 0 0 / .6); }
dialog header { display: flex; justify-content: space-between; gap: 1rem; align-items: center; }
dialog h2 { margin: 0; font-size: 1.1rem; overflow-wrap: anywhere; }
#preview-body img { max-width: 100%; max-height: 75vh; display: block; margin: .5rem auto; }
@media (max-width: 40rem) { .layout { grid-template-columns: 1fr; } }
"""#
}
