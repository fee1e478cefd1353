// The mock driver (SQLite), through the real server on `-i mock`.
import { startServer } from '../../helpers/server.js';
import { describeConformance } from './conformance.js';

describeConformance({
  name: 'mock',
  start: () => startServer({ args: ['-i', 'mock'] }),
  user: 'mockuser',
  password: 'mockpassword',
  driver: 'mock',
  provider: 'default',
  fixtures: { imageId: 'img1', profileId: 'm1-small' },
});
