// AWS errors → the API's statuses: shared with every S3-compatible store (src/drivers/shared/s3/).
export * from '../shared/s3/aws-errors.js';
