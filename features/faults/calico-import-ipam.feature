@faults @calico @slow
Feature: Calico import interrupted in its IPAM phase
  The import writes Calico's v3 resources first, then the IPAM objects (affinities, blocks, handles,
  config) 32 at a time. A fault after the first IPAM object lands must find IPAM objects still to
  write, so the data has more of them than the importer keeps in flight: 400 generated objects
  carry about 60 IPAM objects. (With the 15 of calico/dataset.yaml every IPAM write could land before
  the kill did, and the import then succeeded under load although the fault fired.)

  Background:
    Given 400 generated Calico objects in etcd "source"
    And a Kubernetes cluster with the fixture's nodes and namespaces
    And the target of an undisturbed Calico migration saved as snapshot "undisturbed"
    And I snapshot Calico etcd "source" as "before"

  Scenario Outline: import of IPAM while <target> is <fault>
    When I lock the etcd datastore
    And I export the etcd datastore
    And <target> will be <fault> after 1 IPAM objects reach Kubernetes
    And I try the Calico import step
    Then the fault fired
    And the import step <outcome>
    When the faults heal
    Then the lock state is etcd "locked" and Kubernetes "locked"
    And Calico etcd "source" is unchanged since snapshot "before", apart from the lock flag
    When I recover the Calico migration
    Then Calico in Kubernetes is unchanged since snapshot "undisturbed"
    And the lock state is etcd "locked" and Kubernetes "locked"

    Examples:
      | target                   | fault                | outcome              |
      | the control plane's etcd | killed               | failed naming "import:" |
      | the kube-apiserver       | paused for 3 seconds | succeeded            |
