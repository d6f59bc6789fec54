"""Seeds moto's server with a deployed stack as the doctor sees it, and prints its stack outputs.

    python moto_seed.py http://127.0.0.1:PORT      (boto3 from the app's test virtualenv)

Used by moto_test.go. The resources are what infra/ creates, as far as the doctor reads them: an ECR
repository holding the image, an ECS cluster, a Fargate task definition running that image with
awslogs, a service of 2 tasks behind an IP target group of an internet-facing ALB, a log group.
"""

import json
import sys

import boto3

REGION = "us-east-1"
NAME = "taskapi-moto"
HEALTH = "/api/v1/health/"


def main(endpoint):
    def client(service):
        return boto3.client(service, region_name=REGION, endpoint_url=endpoint,
                            aws_access_key_id="AKIDMOTOTEST", aws_secret_access_key="moto-secret")

    ec2, ecr, ecs, elb, logs = (client(s) for s in ("ec2", "ecr", "ecs", "elbv2", "logs"))

    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]][:2]
    security_group = ec2.create_security_group(GroupName=f"{NAME}-tasks", Description="tasks", VpcId=vpc)["GroupId"]

    repository = ecr.create_repository(repositoryName=f"{NAME}-app")["repository"]["repositoryUri"]
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1,
                           "digest": "sha256:" + "0" * 64}, "layers": []}
    image = ecr.put_image(repositoryName=f"{NAME}-app", imageManifest=json.dumps(manifest), imageTag="v1")["image"]
    image_ref = f"{repository}@{image['imageId']['imageDigest']}"

    log_group = f"/ecs/{NAME}"
    logs.create_log_group(logGroupName=log_group)
    logs.create_log_stream(logGroupName=log_group, logStreamName="app/app/0123456789abcdef0123456789abcdef")

    alb = elb.create_load_balancer(Name=f"{NAME}-alb", Subnets=subnets, Scheme="internet-facing",
                                   Type="application")["LoadBalancers"][0]
    target_group = elb.create_target_group(
        Name=f"{NAME}-tg", Protocol="HTTP", Port=8000, VpcId=vpc, TargetType="ip", HealthCheckPath=HEALTH,
        HealthCheckIntervalSeconds=10, HealthyThresholdCount=2, Matcher={"HttpCode": "200"},
    )["TargetGroups"][0]["TargetGroupArn"]
    elb.create_listener(LoadBalancerArn=alb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": target_group}])
    # What ECS does for each running task of the service.
    elb.register_targets(TargetGroupArn=target_group, Targets=[{"Id": "172.31.1.10", "Port": 8000},
                                                               {"Id": "172.31.2.10", "Port": 8000}])

    cluster = ecs.create_cluster(clusterName=f"{NAME}-cluster")["cluster"]["clusterName"]
    task_definition = ecs.register_task_definition(
        family=f"{NAME}-app", requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256", memory="512",
        containerDefinitions=[{
            "name": "app", "image": image_ref, "essential": True,
            "portMappings": [{"containerPort": 8000, "protocol": "tcp"}],
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": log_group, "awslogs-region": REGION, "awslogs-stream-prefix": "app"}},
        }],
    )["taskDefinition"]["taskDefinitionArn"]
    service = ecs.create_service(
        cluster=cluster, serviceName=f"{NAME}-service", taskDefinition=task_definition, desiredCount=2,
        launchType="FARGATE",
        loadBalancers=[{"targetGroupArn": target_group, "containerName": "app", "containerPort": 8000}],
        networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [security_group],
                                                      "assignPublicIp": "DISABLED"}},
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}},
    )["service"]["serviceName"]

    json.dump({
        "url": f"http://{alb['DNSName']}", "healthCheckPath": HEALTH, "region": REGION,
        "repositoryUrl": repository, "imageRef": image_ref, "clusterName": cluster, "serviceName": service,
        "taskDefinitionArn": task_definition, "targetGroupArn": target_group, "logGroupName": log_group,
    }, sys.stdout, indent=2)


if __name__ == "__main__":
    main(sys.argv[1])
