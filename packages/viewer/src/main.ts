/** Entry point of the page (index.html). */
import { App } from './App.ts';
import './style.css';

void new App(document).start();
