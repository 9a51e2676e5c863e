import { lineageContract } from './lineage-store.contract.js';

lineageContract('sqlite');
