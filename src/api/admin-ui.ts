// The built admin UI (admin-ui/dist) at /admin: hashed assets cached for good, and index.html for every
// other page path, so a reload or a shared link opens the same page (the app's router takes it from there).
import fs from 'node:fs';
import path from 'node:path';
import express, { type RequestHandler } from 'express';
import { repoRoot } from '../config';

export const adminUiDir = path.join(repoRoot, 'admin-ui', 'dist');

export function adminUi(): express.Router {
  const router = express.Router();
  router.use('/assets', express.static(path.join(adminUiDir, 'assets'), {
    dotfiles: 'ignore', index: false, fallthrough: false, immutable: true, maxAge: '365d',
  }));
  router.get(/.*/, appPage);
  return router;
}

const appPage: RequestHandler = (_req, res) => {
  const index = path.join(adminUiDir, 'index.html');
  if (!fs.existsSync(index)) {
    res.status(503).type('text/plain').send('The admin UI is not built: run `npm run build:ui` (npm start builds it by itself).');
    return;
  }
  res.setHeader('Cache-Control', 'no-cache');
  res.sendFile(index);
};
