@calico @real-calicoctl
Feature: A Calico release's own calicoctl, judged by the same checks
  These scenarios always drive a real calicoctl (the one `storeshift calico install-calicoctl` built,
  or --migrator calicoctl=PATH). They pin down what calicoctl 3.32.1 does, so a release that changes
  it is noticed. Without a calicoctl they are reported as not run, with the reason.

  Background:
    Given Calico data from "calico/dataset.yaml" in etcd "source"
    And a Kubernetes cluster with the fixture's nodes and namespaces

  Scenario: calicoctl's rollback leaves etcd as it was
    When I snapshot etcd "source" as "raw-before"
    And I lock the etcd datastore
    And I export the etcd datastore
    And I import the export into Kubernetes
    And I roll back to etcd
    Then etcd "source" is unchanged since snapshot "raw-before"
    And the lock state is etcd "unlocked" and Kubernetes "absent"

  Scenario: calicoctl loses namespaced staged policies outside "default" (upstream quirk)
    When I lock the etcd datastore
    And I export the etcd datastore
    And I import the export into Kubernetes
    Then Kubernetes holds the NetworkPolicy "prod/allow-dns"
    And Kubernetes lacks the StagedNetworkPolicy "prod/staged-prod"
    And Kubernetes lacks the StagedKubernetesNetworkPolicy "dev/staged-knp-dev"
    And the lock state is etcd "locked" and Kubernetes "locked"
