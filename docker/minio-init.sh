#!/bin/sh
# One-shot set-up of MinIO for Maillage (the minio-init service of compose.yaml): creates the
# bucket and the app's access key, whose policy allows that bucket only. Safe to run again.
set -eu

bucket="$MAILLAGE_S3_BUCKET"
policy=maillage-app
policy_file=/tmp/maillage-app-policy.json

mc alias set maillage http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null
mc mb --ignore-existing "maillage/$bucket"

cat >"$policy_file" <<EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads",
                 "s3:GetBucketVersioning", "s3:PutBucketVersioning", "s3:ListBucketVersions"],
      "Resource": ["arn:aws:s3:::$bucket"]
    },
    {
      "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject",
                 "s3:DeleteObjectVersion", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
      "Resource": ["arn:aws:s3:::$bucket/*"]
    }
  ]
}
EOF
mc admin policy create maillage "$policy" "$policy_file"
mc admin user add maillage "$MAILLAGE_S3_ACCESS_KEY" "$MAILLAGE_S3_SECRET_KEY"
# Attaching a policy that is already attached is an error: check first (no grep in this image).
case "$(mc admin user info maillage "$MAILLAGE_S3_ACCESS_KEY")" in
*"$policy"*) ;;
*) mc admin policy attach maillage "$policy" --user "$MAILLAGE_S3_ACCESS_KEY" ;;
esac
echo "bucket $bucket ready for access key $MAILLAGE_S3_ACCESS_KEY"
