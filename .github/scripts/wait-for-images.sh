#!/usr/bin/env bash
# Waits until every release image has reached one region's ECR repository. Images are pushed
# once, in the home region; ECR's registry replication copies them to the other regions
# asynchronously (usually within minutes, not guaranteed), so a region's deploy must not start
# before its copy exists or its pods would fail to pull.
#
#   REGION        the region whose repositories must hold the images
#   GLOBAL_STACK  the global stack (its `fabric` output maps region -> service -> repository URL)
#   IMAGES        JSON from `npm run images`: [{"service":"svc-a","tags":["1.4.2"]},...]
#   WAIT_SECONDS  how long to wait in all (default 1200); POLL_SECONDS between looks (default 15)
set -euo pipefail

region="${REGION:?REGION must be set}"
deadline=$(($(date +%s) + ${WAIT_SECONDS:-1200}))
fabric="$(pulumi stack output fabric --stack "${GLOBAL_STACK:?GLOBAL_STACK must be set}" --json)"

jq -r '.[] | .service as $s | .tags[] | "\($s) \(.)"' <<<"${IMAGES:?IMAGES must be set}" |
  while read -r service tag; do
    repo="$(jq -r --arg r "$region" --arg s "$service" '.[$r].ecrRepositoryUrls[$s] // empty' <<<"$fabric")"
    if [ -z "$repo" ]; then
      echo "::error::no ECR repository for $service in $region in the global stack's outputs" >&2
      exit 1
    fi
    name="${repo#*/}"
    until aws ecr describe-images --region "$region" --repository-name "$name" \
      --image-ids imageTag="$tag" >/dev/null 2>&1; do
      if [ "$(date +%s)" -ge "$deadline" ]; then
        echo "::error::$service:$tag has not reached $region (replication) in time" >&2
        exit 1
      fi
      echo "waiting for $service:$tag in $region"
      sleep "${POLL_SECONDS:-15}"
    done
    echo "$service:$tag is in $region"
  done
