// The service principal and subscription the Resource Manager replays are
// spoken to with, and the operations' path templates (from their Swagger
// files), for the suites that replay Microsoft's examples.
export const CLIENT_ID = '11111111-2222-3333-4444-555555555555';
export const TENANT = 'contoso.onmicrosoft.com';
export const SUB = '00000000-1111-2222-3333-444444444444';

const GROUP_PROVIDERS = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers';

/** A resource type's collection path in the resource group (e.g. `Microsoft.Compute/disks`); `/{name}` makes a member's. */
export const inGroup = (type: string): string => `${GROUP_PROVIDERS}/${type}`;
