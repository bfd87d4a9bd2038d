// Entry point: apply the theme before the first paint, then start the app shell declared in index.html.
import { initTheme } from './theme.ts';
import './app/nem-app.ts';

initTheme();
