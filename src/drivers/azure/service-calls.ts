// The azure driver's requests to Resource Manager, Entra ID and Blob Storage, counted for
// the back-end metrics (src/core/kit/service-calls.ts): a policy in the Azure
// SDK clients' pipelines, after their retry policy, so each attempt is one
// request, as the AWS SDK clients report theirs.
import type { ComputeManagementClient } from '@azure/arm-compute';
import { httpOutcome, startServiceCall } from '../../core/kit/service-calls.js';

/** A pipeline policy and where it goes (core-client's AdditionalPolicyConfig, as the clients' options name it). */
type AdditionalPolicyConfig = NonNullable<NonNullable<ConstructorParameters<typeof ComputeManagementClient>[2]>['additionalPolicies']>[number];

/** The `additionalPolicies` of an Azure SDK client whose requests go to `service`. */
export function measuredPolicies(service: string): AdditionalPolicyConfig[] {
  return [{
    position: 'perRetry',
    policy: {
      name: `deltacloud-measure-${service}`,
      async sendRequest(request, next) {
        const done = startServiceCall(service, 'azure');
        if (!done) return next(request);
        try {
          const response = await next(request);
          done(httpOutcome(response.status));
          return response;
        } catch (error) {
          // A RestError that carries an answer's status; else no answer came.
          const status = error instanceof Error && 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : undefined;
          done(status !== undefined ? httpOutcome(status) : 'error');
          throw error;
        }
      },
    },
  }];
}
