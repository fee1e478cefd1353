// EC2 error codes and how the core's typed errors become them. EC2 clients
// branch on the code (e.g. `InvalidInstanceID.NotFound`), so every error the
// front end answers carries one of EC2's own codes and its HTTP status.
import { CapabilityMissing, DeltacloudError, MissingParameter } from '../../core/errors.js';

export class Ec2Error extends Error {
  constructor(readonly code: string, message: string, readonly status = 400) {
    super(message);
    this.name = 'Ec2Error';
  }
}

export const authFailure = (message = 'AWS was not able to validate the provided access credentials') =>
  new Ec2Error('AuthFailure', message, 401);

export const signatureMismatch = (message =
  'The request signature we calculated does not match the signature you provided. '
  + 'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.') =>
  new Ec2Error('SignatureDoesNotMatch', message, 403);

export const missingParameter = (name: string) =>
  new Ec2Error('MissingParameter', `The request must contain the parameter ${name}`);

export const invalidValue = (message: string) => new Ec2Error('InvalidParameterValue', message);

export const unsupported = (what: string, driver: string) =>
  new Ec2Error('UnsupportedOperation', `${what} is not supported by the '${driver}' driver.`);

/**
 * Codes an action gives to the driver's generic errors: a driver says "not
 * found" (404) or "conflict" (409) without knowing which EC2 resource type
 * the client asked about; the action does.
 */
export interface ErrorCodes {
  notFound?: string;
  conflict?: string;
}

/** Any error thrown while serving an action, as the EC2 error to answer. */
export function toEc2Error(error: unknown, codes: ErrorCodes = {}, driver = 'current'): Ec2Error {
  if (error instanceof Ec2Error) return error;
  if (!(error instanceof DeltacloudError)) return new Ec2Error('InternalError', 'An internal error has occurred', 500);
  if (error instanceof MissingParameter) return missingParameter(error.parameter);
  if (error instanceof CapabilityMissing) return unsupported(`The operation '${error.capability}'`, driver);
  const message = error.message;
  switch (error.status) {
    case 400: return invalidValue(message);
    // The back end refused the operator-configured credentials of this access key.
    case 401: return authFailure(message);
    case 403: return new Ec2Error('UnauthorizedOperation', message, 403);
    case 404: return new Ec2Error(codes.notFound ?? 'InvalidParameterValue', message);
    case 405: return new Ec2Error('IncorrectState', message);
    case 409: return new Ec2Error(codes.conflict ?? 'IncorrectState', message);
    case 413: return invalidValue('The request is too large');
    case 501: return new Ec2Error('UnsupportedOperation', message);
    // EC2's throttling answer (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/throttling.html).
    case 429: return new Ec2Error('RequestLimitExceeded', message, 503);
    case 503:
    case 504: return new Ec2Error('Unavailable', message, 503);
    default: return new Ec2Error('InternalError', message, 500);
  }
}
