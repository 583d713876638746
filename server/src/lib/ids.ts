import { createHash, randomBytes } from 'node:crypto';

export const newApprovalId = () => `apr_${randomBytes(16).toString('hex')}`;
export const newAccountId = () => `acc_${randomBytes(8).toString('hex')}`;
export const newKeyId = () => `key_${randomBytes(8).toString('hex')}`;
export const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
